package dev.apexpulse.gateway;

import dev.apexpulse.Node;
import dev.apexpulse.admin.AdminAccess;
import dev.apexpulse.admin.AdminSocket;
import dev.apexpulse.admin.ConsoleFeed;
import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.channel.Subscriber;
import dev.apexpulse.channel.WireFrame;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.CloseCode;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.TokenBucket;
import dev.apexpulse.history.Replay;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.PresenceChange;
import dev.apexpulse.schedule.ScheduleVerticle;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One client socket: authentication, its subscriptions, limits and the protocol's request/reply.
 * Runs entirely on its event loop, so its state needs no locks.
 */
final class Connection {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
  private static final int MAX_PENDING_PER_SUBSCRIPTION = 10_000;
  private static final long MAX_TIMER_MILLIS = 24L * 3600 * 1000;
  private static final int FLUSH_THRESHOLD_BYTES = 32 * 1024;
  private static final ThreadLocal<CharsetDecoder> STRICT_UTF8 = ThreadLocal.withInitial(() ->
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT));

  final String id;
  private final ServerWebSocket ws;
  private final Node node;
  private final Shard shard;
  private final GatewayVerticle owner;
  private final String origin;
  private final TokenBucket bucket;
  private final Map<ChannelKey, Subscription> subscriptions = new HashMap<>();
  private Identity identity;
  private long authTimer = -1;
  private long expiryTimer = -1;
  private int overLimitInARow;
  private TokenBucket triggerBucket;
  private Buffer partial;
  private boolean partialText;
  private final ChannelHandlerContext channel;
  /** Per-message deflate is on: message frames must pass Vert.x's compressor as frame objects. */
  private final boolean deflate;
  private final Shard.Flushable flusher = this::flush;
  private int unflushedBytes;
  private boolean flushPending;
  long lastReadNanos = System.nanoTime();
  private final long connectedAtMillis = System.currentTimeMillis();
  private boolean closed;
  /** Set while this (console) socket is subscribed to the console feed. */
  private AdminSocket console;

  Connection(String id, ServerWebSocket ws, Node node, Shard shard, GatewayVerticle owner, String origin) {
    this.id = id;
    this.ws = ws;
    this.node = node;
    this.shard = shard;
    this.owner = owner;
    this.origin = origin;
    this.channel = ((WebSocketInternal) ws).channelHandlerContext();
    this.deflate = node.config().http().compression();
    this.bucket = new TokenBucket(node.config().limits().frameRate(), node.config().limits().frameBurst(), System.nanoTime());
  }

  /** Starts the protocol; {@code identity} is set when the URL carried a valid token or ?app=. */
  void start(Identity identity, String refusal) {
    ws.setWriteQueueMaxSize(node.config().limits().maxQueuedBytes());
    ws.frameHandler(this::onFrame);
    ws.closeHandler(v -> release());
    ws.exceptionHandler(this::onException);
    if (refusal != null) {
      send(Frames.error(null, ErrorCode.UNAUTHORIZED, refusal));
      close(CloseCode.POLICY, refusal);
    } else if (identity != null) {
      authenticated(identity, null);
    } else {
      authTimer = node.vertx().setTimer(node.config().authTimeoutSeconds() * 1000L, t -> {
        authTimer = -1;
        if (this.identity == null) {
          close(CloseCode.POLICY, "authentication timeout");
        }
      });
    }
  }

  // ---- inbound ----

  /**
   * Reassembles fragmented messages itself: Vert.x's aggregator neither rejects invalid UTF-8 (1007)
   * nor answers an oversize message with a close frame (1009), as RFC 6455 asks.
   */
  private void onFrame(WebSocketFrame frame) {
    lastReadNanos = System.nanoTime();
    if (closed) {
      return;
    }
    switch (frame.type()) {
      case TEXT, BINARY -> {
        partialText = frame.type() == WebSocketFrameType.TEXT;
        partial = frame.isFinal() ? frame.binaryData() : Buffer.buffer().appendBuffer(frame.binaryData());
      }
      case CONTINUATION -> partial.appendBuffer(frame.binaryData()); // Netty enforces the fragment order
      default -> {
        return; // ping (answered by Vert.x), pong (liveness noted above), close
      }
    }
    if (partial.length() > node.config().limits().maxFrameBytes()) {
      partial = null;
      close(CloseCode.TOO_BIG, "message larger than " + node.config().limits().maxFrameBytes() + " bytes");
      return;
    }
    if (!frame.isFinal()) {
      return;
    }
    Buffer message = partial;
    partial = null;
    if (!withinRate()) {
      return;
    }
    if (!partialText) {
      onBinary(message);
      return;
    }
    String text;
    try {
      text = STRICT_UTF8.get().decode(ByteBuffer.wrap(message.getBytes())).toString();
    } catch (CharacterCodingException e) {
      close(CloseCode.INVALID_PAYLOAD, "text frame is not valid UTF-8");
      return;
    }
    onText(text);
  }

  /** Every client message, text or binary, costs a token; a sustained flood closes the socket. */
  private boolean withinRate() {
    if (bucket.take(System.nanoTime())) {
      overLimitInARow = 0;
      return true;
    }
    node.metrics().error(ErrorCode.RATE_LIMITED, id + ": frame rate limit");
    if (++overLimitInARow > node.config().limits().frameBurst()) {
      close(CloseCode.POLICY, "frame rate limit exceeded");
    } else {
      send(Frames.error(null, ErrorCode.RATE_LIMITED, "more than " + node.config().limits().frameRate() + " frames per second"));
    }
    return false;
  }

  private void onText(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      fail(null, ErrorCode.BAD_REQUEST, "malformed JSON frame: expected a JSON object");
      return;
    }
    Long id;
    Object rawId = frame.getValue("id");
    if (rawId == null) {
      id = null;
    } else if (rawId instanceof Number n && n.doubleValue() == n.longValue() && !(n instanceof Double d && d.isInfinite())) {
      id = n.longValue();
    } else {
      fail(null, ErrorCode.BAD_REQUEST, "id must be an integer");
      return;
    }
    try {
      dispatch(frame, id);
    } catch (PulseException e) {
      fail(id, e.code(), e.getMessage());
    } catch (RuntimeException e) {
      // a bug, not bad input: the connection's state is no longer trustworthy
      LOG.error("connection {}: unexpected failure handling a frame", this.id, e);
      close(CloseCode.SERVER_ERROR, "internal error");
    }
  }

  private void dispatch(JsonObject frame, Long id) {
    Object type = frame.getValue("type");
    if (!(type instanceof String t)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "frame needs a string type");
    }
    if (t.equals("auth")) {
      onAuth(frame, id);
      return;
    }
    if (identity == null) {
      throw new PulseException(ErrorCode.UNAUTHORIZED, "send an auth frame first");
    }
    if (admin()) {
      onConsoleFrame(t, frame, id);
      return;
    }
    switch (t) {
      case "subscribe" -> onSubscribe(frame, id);
      case "unsubscribe" -> onUnsubscribe(frame, id);
      case "publish" -> onPublish(frame, id);
      case "presence" -> onPresence(frame, id);
      case "ping" -> send(Frames.pong(id));
      case "trigger" -> onTrigger(frame, id);
      default -> throw new PulseException(ErrorCode.BAD_REQUEST, "unknown frame type '" + abbreviate(t) + "'");
    }
  }

  /**
   * A binary publish: version 1, channel length (uint16 BE), channel (UTF-8), request id in the
   * offset field (uint64 BE), payload. Answered with a JSON ack or error carrying that id.
   */
  private void onBinary(Buffer frame) {
    int length = frame.length();
    if (length < Message.BINARY_FIXED_HEADER) {
      fail(null, ErrorCode.BAD_REQUEST, "binary frame shorter than its " + Message.BINARY_FIXED_HEADER + "-byte header");
      return;
    }
    byte version = frame.getByte(0);
    if (version != Message.BINARY_VERSION) {
      fail(null, ErrorCode.BAD_REQUEST, "unsupported binary frame version " + (version & 0xff));
      return;
    }
    int n = frame.getUnsignedShort(1);
    if (length < Message.BINARY_FIXED_HEADER + n) {
      fail(null, ErrorCode.BAD_REQUEST, "binary frame truncated: header names a " + n + "-byte channel");
      return;
    }
    long rawId = frame.getLong(3 + n);
    Long id = rawId >= 0 ? rawId : null;
    if (id == null) {
      fail(null, ErrorCode.BAD_REQUEST, "binary frame id (offset field) out of range");
      return;
    }
    String channelName;
    try {
      channelName = STRICT_UTF8.get().decode(ByteBuffer.wrap(frame.getBytes(3, 3 + n))).toString();
    } catch (CharacterCodingException e) {
      fail(id, ErrorCode.BAD_REQUEST, "binary frame channel is not valid UTF-8");
      return;
    }
    try {
      if (identity == null) {
        throw new PulseException(ErrorCode.UNAUTHORIZED, "send an auth frame first");
      }
      ChannelKey key = node.publisher().key(identity.app(), channelName);
      if (!identity.mayPublish(key.channel())) {
        throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to publish to " + key.channel());
      }
      byte[] payload = frame.getBytes(Message.BINARY_FIXED_HEADER + n, length);
      node.publisher().publishBinary(key.app(), key.channel(), payload, identity.user()).onComplete(ar -> {
        if (ar.succeeded()) {
          send(Frames.ack(id, ar.result().offset()));
        } else {
          replyFailure(id, ar.cause());
        }
      });
    } catch (PulseException e) {
      fail(id, e.code(), e.getMessage());
    }
  }

  private void onException(Throwable e) {
    // Netty reports protocol violations (bad UTF-8, oversize frames) here and closes the socket itself
    LOG.debug("connection {}: {}", id, e.toString());
  }

  // ---- auth ----

  private void onAuth(JsonObject frame, Long id) {
    if (!(frame.getValue("token") instanceof String token)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "auth needs a string token");
    }
    if (identity != null && identity.anonymous()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "an anonymous connection cannot authenticate: reconnect with ?token=");
    }
    if (admin()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "a console connection cannot authenticate: reconnect with a new ticket");
    }
    node.tokens().verify(token, null).onComplete(ar -> {
      if (closed) {
        return;
      }
      if (ar.failed()) {
        String reason = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "token invalid";
        fail(id, ErrorCode.UNAUTHORIZED, reason);
        if (identity == null) {
          close(CloseCode.POLICY, reason);
        }
        return;
      }
      Identity fresh = ar.result();
      if (identity != null && (!identity.app().equals(fresh.app()) || !fresh.user().equals(identity.user()))) {
        fail(id, ErrorCode.FORBIDDEN, "a refreshed token must be for the same app and user");
        return;
      }
      AppConfig app = node.config().app(fresh.app());
      if (!OriginPolicy.allowed(app.origins(), origin)) {
        node.metrics().upgradeRefused("origin");
        fail(id, ErrorCode.FORBIDDEN, "origin not allowed for app " + app.id());
        close(CloseCode.POLICY, "origin not allowed");
        return;
      }
      authenticated(fresh, id);
    });
  }

  private void authenticated(Identity fresh, Long id) {
    boolean first = identity == null;
    identity = fresh;
    if (authTimer >= 0) {
      node.vertx().cancelTimer(authTimer);
      authTimer = -1;
    }
    armExpiry();
    send(Frames.welcome(id, this.id, node.config().nodeId(), node.config().heartbeatSeconds()));
    if (first) {
      LOG.debug("connection {} authenticated as {} for app {}", this.id, fresh.user(), fresh.app());
    }
  }

  private void armExpiry() {
    if (expiryTimer >= 0) {
      node.vertx().cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
    if (identity.expiresAtMillis() == Long.MAX_VALUE) {
      return;
    }
    long left = identity.expiresAtMillis() - System.currentTimeMillis();
    if (left <= 0) {
      close(CloseCode.POLICY, "token expired");
      return;
    }
    expiryTimer = node.vertx().setTimer(Math.min(left, MAX_TIMER_MILLIS), t -> {
      expiryTimer = -1;
      armExpiry();
    });
  }

  // ---- requests ----

  private void onSubscribe(JsonObject frame, Long id) {
    ChannelKey key = node.publisher().key(identity.app(), frame.getValue("channel"));
    if (subscriptions.containsKey(key)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "already subscribed to " + key.channel());
    }
    if (!identity.maySubscribe(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to subscribe to " + key.channel());
    }
    if (subscriptions.size() >= node.config().limits().maxSubscriptions()) {
      throw new PulseException(ErrorCode.LIMIT_EXCEEDED, "at most " + node.config().limits().maxSubscriptions() + " subscriptions per connection");
    }
    Since since = Since.parse(frame.getValue("since"));
    Subscription sub = new Subscription(key);
    subscriptions.put(key, sub);
    int limit = node.config().limits().maxHistoryRequest();
    node.hub().subscribe(shard, key, sub)
        .compose(v -> since == null
            ? node.history().position(key).map(p -> new Replay(true, p, List.of()))
            : node.history().since(key, since.offset, since.epoch, limit))
        .onComplete(ar -> {
          if (sub.removed) {
            if (!closed) {
              fail(id, ErrorCode.NOT_FOUND, "unsubscribed from " + key.channel() + " before the subscription completed");
            }
            return;
          }
          if (ar.failed()) {
            LOG.warn("connection {}: subscribe to {} failed: {}", this.id, key, ar.cause().toString());
            drop(sub);
            fail(id, since == null ? ErrorCode.UNAVAILABLE : ErrorCode.RECOVERY_FAILED, "history unavailable, try again");
            return;
          }
          Replay replay = ar.result();
          node.hub().baseline(key, replay.position());
          boolean recovered = since == null || replay.recovered();
          send(Frames.subscribed(id, key.channel(), replay.position(), recovered));
          sub.goLive(since != null && recovered ? since.offset : replay.position().offset(), replay.messages());
          ClientInfo me = clientInfo();
          node.presence().join(key, me).onSuccess(change -> announce("join", key, change));
        });
  }

  private void onUnsubscribe(JsonObject frame, Long id) {
    ChannelKey key = node.publisher().key(identity.app(), frame.getValue("channel"));
    Subscription sub = subscriptions.get(key);
    if (sub == null) {
      throw new PulseException(ErrorCode.NOT_FOUND, "not subscribed to " + key.channel());
    }
    drop(sub);
    send(Frames.unsubscribed(id, key.channel()));
  }

  private void onPublish(JsonObject frame, Long id) {
    ChannelKey key = node.publisher().key(identity.app(), frame.getValue("channel"));
    if (!identity.mayPublish(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to publish to " + key.channel());
    }
    if (!frame.containsKey("data")) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "publish needs data");
    }
    node.publisher().publishJson(key.app(), key.channel(), Json.encode(frame.getValue("data")), identity.user())
        .onComplete(ar -> {
          if (ar.succeeded()) {
            send(Frames.ack(id, ar.result().offset()));
          } else {
            replyFailure(id, ar.cause());
          }
        });
  }

  /** Runs a job now on its runner node; triggers close together share one run (see ScheduleVerticle). */
  private void onTrigger(JsonObject frame, Long id) {
    if (!(frame.getValue("job") instanceof String name)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "trigger needs a string job");
    }
    JobSettings job = node.job(name);
    if (job == null || !job.app().equals(identity.app())) {
      throw new PulseException(ErrorCode.NOT_FOUND, "no job named " + abbreviate(name));
    }
    if (!job.triggerable()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "job " + name + " cannot be triggered");
    }
    if (!identity.mayTrigger(name)) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to trigger " + name);
    }
    if (triggerBucket == null) {
      triggerBucket = new TokenBucket(node.config().limits().triggerRate(), node.config().limits().triggerBurst(), System.nanoTime());
    }
    if (!triggerBucket.take(System.nanoTime())) {
      throw new PulseException(ErrorCode.RATE_LIMITED, "more than " + node.config().limits().triggerRate() + " triggers per second");
    }
    ScheduleVerticle.trigger(node.vertx(), job).onComplete(ar -> {
      if (ar.succeeded()) {
        send(Frames.ack(id, null));
      } else if (ar.cause() instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
        fail(id, ErrorCode.UNAVAILABLE, "job " + name + " has no runner right now, try again");
      } else {
        fail(id, ErrorCode.UNAVAILABLE, ar.cause().getMessage());
      }
    });
  }

  private void onPresence(JsonObject frame, Long id) {
    ChannelKey key = node.publisher().key(identity.app(), frame.getValue("channel"));
    if (!identity.maySubscribe(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to see presence of " + key.channel());
    }
    node.presence().clients(key).onComplete(ar -> {
      if (ar.succeeded()) {
        send(Frames.presence(id, key.channel(), ar.result()));
      } else {
        replyFailure(id, ar.cause());
      }
    });
  }

  private void replyFailure(Long id, Throwable cause) {
    if (cause instanceof PulseException p) {
      fail(id, p.code(), p.getMessage());
    } else {
      LOG.warn("connection {}: request failed: {}", this.id, cause.toString());
      fail(id, ErrorCode.UNAVAILABLE, "temporarily unavailable, try again");
    }
  }

  // ---- outbound ----

  /**
   * Writes a reply or control frame on the same Netty path as message frames: Vert.x's own write queue
   * could hold it back behind a non-writable channel while message frames go ahead, and a
   * {@code subscribed} reply must reach the client before the messages it announces. Replies count
   * against the same outbound limit as messages: a client that keeps asking (presence of a busy
   * channel, pings) and never reads is a slow consumer too, and must not make the node queue its
   * replies without bound.
   */
  private void send(String frame) {
    if (closed) {
      return;
    }
    if (!writable()) {
      node.metrics().slowConsumer(describe());
      close(CloseCode.TRY_AGAIN_LATER, "too slow: outbound queue full");
      return;
    }
    channel.writeAndFlush(new TextWebSocketFrame(frame), channel.voidPromise());
    unflushedBytes = 0; // the flush took the message frames queued before it along
  }

  /**
   * Whether the socket's outbound queue is under {@code limits.maxQueuedBytes}. Frames written but not
   * yet flushed (a fan-out burst, Vert.x's own writes during a read) count towards it too: flush
   * first, so only bytes the client has not taken count.
   */
  private boolean writable() {
    if (channel.channel().isWritable()) {
      return true;
    }
    unflushedBytes = 0;
    channel.flush();
    return channel.channel().isWritable();
  }

  private void fail(Long id, ErrorCode code, String message) {
    node.metrics().error(code, (identity != null ? "app " + identity.app() + ", " : "") + this.id + ": " + message);
    send(Frames.error(id, code, message));
  }

  /**
   * Writes a shared message frame straight to the Netty pipeline, or closes a consumer whose queue is
   * full (1013). Bypassing Vert.x's write queue saves a promise and a queue entry per delivery, and
   * leaves the flush to the shard, which coalesces a burst into one system call per socket.
   */
  private boolean write(ByteBuf frame, boolean binary) {
    if (closed) {
      return false;
    }
    if (!writable()) {
      node.metrics().slowConsumer(describe());
      close(CloseCode.TRY_AGAIN_LATER, "too slow: outbound queue full");
      return false;
    }
    // the frame bytes are shared by every subscriber; each write gets its own read index over them
    if (deflate) {
      ByteBuf payload = WireFrame.payload(frame);
      channel.write(binary ? new BinaryWebSocketFrame(true, 0, payload) : new TextWebSocketFrame(true, 0, payload),
          channel.voidPromise());
    } else {
      channel.write(frame.duplicate(), channel.voidPromise());
    }
    unflushedBytes += frame.readableBytes();
    if (unflushedBytes > FLUSH_THRESHOLD_BYTES) {
      // unflushed bytes count as queued: flush before they make a fast reader look slow
      flush();
    } else if (!flushPending) {
      flushPending = true;
      shard.flushLater(flusher);
    }
    return true;
  }

  private void flush() {
    flushPending = false;
    if (unflushedBytes > 0) {
      unflushedBytes = 0;
      channel.flush();
    }
  }

  private void announce(String type, ChannelKey key, PresenceChange change) {
    if (change == PresenceChange.USER_CHANGED && node.config().app(key.app()).presenceEvents()) {
      node.bridge().publishEvent(key, Frames.presenceEvent(type, key.channel(), identity.user(), identity.name()));
    }
  }

  private ClientInfo clientInfo() {
    return new ClientInfo(id, identity.anonymous() ? null : identity.user(), identity.name());
  }

  // ---- lifecycle ----

  void heartbeat(long now, long silentLimitNanos) {
    if (closed) {
      return;
    }
    if (now - lastReadNanos > silentLimitNanos) {
      close(CloseCode.GOING_AWAY, "no heartbeat");
    } else {
      ws.writePing(Buffer.buffer());
    }
  }

  /** Closes with a code; subscriptions are dropped at once so no more frames are queued. */
  void close(short code, String reason) {
    if (closed) {
      return;
    }
    release();
    node.metrics().closed(code);
    ws.close(code, reason);
  }

  private void release() {
    if (closed) {
      return;
    }
    closed = true;
    if (authTimer >= 0) {
      node.vertx().cancelTimer(authTimer);
    }
    if (expiryTimer >= 0) {
      node.vertx().cancelTimer(expiryTimer);
    }
    for (Subscription sub : new ArrayList<>(subscriptions.values())) {
      drop(sub);
    }
    if (console != null && node.console() != null) {
      node.console().feed().detach(console);
      console = null;
    }
    owner.forget(this);
  }

  private void drop(Subscription sub) {
    sub.removed = true;
    subscriptions.remove(sub.key);
    node.hub().unsubscribe(shard, sub.key, sub);
    if (identity != null) {
      Identity who = identity;
      node.presence().leave(sub.key, clientInfo()).onSuccess(change -> {
        if (change == PresenceChange.USER_CHANGED && node.config().app(sub.key.app()).presenceEvents()) {
          node.bridge().publishEvent(sub.key, Frames.presenceEvent("leave", sub.key.channel(), who.user(), who.name()));
        }
      });
    }
  }

  int subscriptionCount() {
    return subscriptions.size();
  }

  /** This socket for the operator console: no token, no secret. */
  ConnectionInfo info() {
    Identity who = identity;
    return new ConnectionInfo(id, node.config().nodeId(), who == null ? null : who.app(),
        who == null || who.anonymous() ? null : who.user(), admin() ? (console != null ? 1 : 0) : subscriptions.size(),
        connectedAtMillis, admin());
  }

  private String describe() {
    Identity who = identity;
    return who == null ? id : "app " + who.app() + ", user " + (who.anonymous() ? "(anonymous)" : who.user()) + ", " + id;
  }

  // ---- operator console sockets (app __admin, opened with an admin ticket: see AdminAccess) ----

  private boolean admin() {
    return identity != null && AdminAccess.APP.equals(identity.app());
  }

  /** A console socket may only follow the console channel: it can publish nothing and see no app channel. */
  private void onConsoleFrame(String type, JsonObject frame, Long id) {
    switch (type) {
      case "subscribe" -> {
        if (!ConsoleFeed.CHANNEL.equals(frame.getValue("channel"))) {
          throw new PulseException(ErrorCode.FORBIDDEN, "a console connection may only subscribe to " + ConsoleFeed.CHANNEL);
        }
        if (console != null) {
          throw new PulseException(ErrorCode.BAD_REQUEST, "already subscribed to " + ConsoleFeed.CHANNEL);
        }
        if (node.console() == null) {
          throw new PulseException(ErrorCode.UNAVAILABLE, "the operator console is not running on this node");
        }
        console = new AdminSocket(this.id, owner.context(), this::send);
        node.console().feed().attach(console, id, frame.getValue("since"));
      }
      case "unsubscribe" -> {
        if (console == null || !ConsoleFeed.CHANNEL.equals(frame.getValue("channel"))) {
          throw new PulseException(ErrorCode.NOT_FOUND, "not subscribed to that channel");
        }
        node.console().feed().detach(console);
        console = null;
        send(Frames.unsubscribed(id, ConsoleFeed.CHANNEL));
      }
      case "ping" -> send(Frames.pong(id));
      default -> throw new PulseException(ErrorCode.FORBIDDEN, "a console connection may only subscribe to " + ConsoleFeed.CHANNEL);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 32 ? s.substring(0, 32) + "…" : s;
  }

  /** {@code since} of a subscribe frame. */
  private record Since(long offset, String epoch) {
    static Since parse(Object raw) {
      if (raw == null) {
        return null;
      }
      if (raw instanceof JsonObject o && o.getValue("offset") instanceof Number n && n.longValue() >= 0
          && n.doubleValue() == n.longValue() && o.getValue("epoch") instanceof String e) {
        return new Since(n.longValue(), e);
      }
      throw new PulseException(ErrorCode.BAD_REQUEST, "since must be {\"offset\": integer >= 0, \"epoch\": string}");
    }
  }

  /**
   * One channel of this connection. Until the subscribe reply is sent it buffers live messages, so
   * replayed and live messages reach the client in offset order, none twice.
   */
  private final class Subscription implements Subscriber {
    final ChannelKey key;
    boolean removed;
    private List<Message> pending = new ArrayList<>();
    private long lastOffset;

    Subscription(ChannelKey key) {
      this.key = key;
    }

    void goLive(long startOffset, List<Message> replay) {
      lastOffset = startOffset;
      List<Message> buffered = pending;
      pending = null;
      for (Message m : replay) {
        deliver(m);
      }
      for (Message m : buffered) {
        deliver(m);
      }
    }

    @Override
    public boolean deliver(Message m) {
      if (pending != null) {
        if (pending.size() >= MAX_PENDING_PER_SUBSCRIPTION) {
          node.metrics().slowConsumer(describe());
          close(CloseCode.TRY_AGAIN_LATER, "too slow: too many messages while subscribing");
          return false;
        }
        pending.add(m);
        return false;
      }
      if (m.offset() <= lastOffset || removed) {
        return false;
      }
      lastOffset = m.offset();
      return write(m.frame(), m.binary());
    }

    @Override
    public void deliverEvent(ByteBuf frame) {
      if (pending == null && !removed) {
        write(frame, false);
      }
    }
  }
}
