package dev.apexpulse.session;

import dev.apexpulse.auth.Identity;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.ChannelOptions;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.CloseCode;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Replay;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.PresenceChange;
import dev.apexpulse.protocol.BadFrame;
import dev.apexpulse.protocol.BinaryFrames;
import dev.apexpulse.protocol.ClientFrame;
import dev.apexpulse.protocol.Frames;
import dev.apexpulse.protocol.Since;
import dev.apexpulse.transport.ConnectionInfo;
import dev.apexpulse.transport.Endpoint;
import dev.apexpulse.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One client connection's protocol state machine, whatever the transport: authentication and token
 * expiry, subscriptions with recovery (and a cache channel's last value), publish, presence, history,
 * trigger, and the per-connection limits. It
 * writes only through its {@link Transport}. Runs entirely on its event loop, so its state needs no locks.
 */
public final class Session implements Endpoint {
  private static final Logger LOG = LoggerFactory.getLogger(Session.class);

  private final String id;
  private final Transport transport;
  private final WireFormat format;
  private final Shard shard;
  private final Services services;
  private final Authentication authentication;
  private final FrameRate rate;
  private final Requests requests;
  private final Deadlines deadlines;
  private final Map<ChannelKey, Subscription> subscriptions = new HashMap<>();
  private final long connectedAtMillis = System.currentTimeMillis();
  private Identity identity;
  private boolean closed;

  boolean closed() {
    return closed;
  }

  /** Null until authenticated. */
  Identity identity() {
    return identity;
  }

  public Session(String id, Transport transport, Shard shard, Services services, String origin) {
    this.id = id;
    this.transport = transport;
    this.format = transport.format();
    this.shard = shard;
    this.services = services;
    this.authentication = new Authentication(services, this, origin);
    this.rate = new FrameRate(services.config());
    this.requests = new Requests(services, this);
    this.deadlines = new Deadlines(services.vertx(), this);
  }

  /**
   * Starts the protocol: {@code identity} is set when the connection came with a valid token or
   * {@code ?app=}; a {@code refusal} (a bad token) is answered with an error and 1008; otherwise the
   * client has {@code auth.timeoutSeconds} to send an {@code auth} frame.
   */
  public void start(Identity identity, String refusal) {
    if (refusal != null) {
      send(Frames.error(null, ErrorCode.UNAUTHORIZED, refusal));
      close(CloseCode.POLICY, refusal);
    } else if (identity != null) {
      authenticated(identity, null);
    } else {
      deadlines.authWithin(services.config().authTimeoutSeconds() * 1000L);
    }
  }

  // ---- inbound ----

  @Override
  public void onText(String text) {
    if (closed || !withinRate()) {
      return;
    }
    ClientFrame frame;
    try {
      frame = ClientFrame.parse(text);
    } catch (BadFrame e) {
      fail(e.id(), e.code(), e.getMessage());
      return;
    }
    try {
      dispatch(frame);
    } catch (PulseException e) {
      fail(frame.id(), e.code(), e.getMessage());
    } catch (RuntimeException e) {
      // a bug, not bad input: the connection's state is no longer trustworthy
      LOG.error("connection {}: unexpected failure handling a frame", id, e);
      close(CloseCode.SERVER_ERROR, "internal error");
    }
  }

  /** A binary publish ({@link BinaryFrames}), answered with a JSON ack or error carrying its id. */
  @Override
  public void onBinary(Buffer data) {
    if (closed || !withinRate()) {
      return;
    }
    BinaryFrames.Publish publish;
    try {
      publish = BinaryFrames.parse(data);
    } catch (BadFrame e) {
      fail(e.id(), e.code(), e.getMessage());
      return;
    }
    try {
      requireIdentity();
      requests.publishBinary(identity, publish);
    } catch (PulseException e) {
      fail(publish.id(), e.code(), e.getMessage());
    }
  }

  private boolean withinRate() {
    FrameRate.Verdict verdict = rate.take();
    if (verdict == FrameRate.Verdict.ACCEPT) {
      return true;
    }
    services.metrics().error(ErrorCode.RATE_LIMITED, id + ": frame rate limit");
    if (verdict == FrameRate.Verdict.CLOSE) {
      close(CloseCode.POLICY, "frame rate limit exceeded");
    } else {
      send(Frames.error(null, ErrorCode.RATE_LIMITED, "more than " + services.config().limits().frameRate() + " frames per second"));
    }
    return false;
  }

  private void dispatch(ClientFrame frame) {
    if (frame.type().equals("auth")) {
      authentication.onAuth(identity, frame);
      return;
    }
    requireIdentity();
    switch (frame.type()) {
      case "subscribe" -> onSubscribe(frame);
      case "unsubscribe" -> onUnsubscribe(frame);
      case "publish" -> requests.publish(identity, frame);
      case "presence" -> requests.presence(identity, frame);
      case "ping" -> send(Frames.pong(frame.id()));
      case "trigger" -> requests.trigger(identity, frame);
      case "history" -> requests.history(identity, frame);
      default -> throw new PulseException(ErrorCode.BAD_REQUEST, "unknown frame type '" + abbreviate(frame.type()) + "'");
    }
  }

  private void requireIdentity() {
    if (identity == null) {
      throw new PulseException(ErrorCode.UNAUTHORIZED, "send an auth frame first");
    }
  }

  // ---- auth ----

  void authenticated(Identity fresh, Long requestId) {
    boolean first = identity == null;
    identity = fresh;
    deadlines.authenticatedUntil(fresh.expiresAtMillis());
    send(Frames.welcome(requestId, id, services.config().nodeId(), services.config().heartbeatSeconds()));
    if (first) {
      LOG.debug("connection {} authenticated as {} for app {}", id, fresh.user(), fresh.app());
    }
  }

  // ---- requests ----

  private void onSubscribe(ClientFrame frame) {
    ChannelKey key = services.publisher().key(identity.app(), frame.channel());
    if (subscriptions.containsKey(key)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "already subscribed to " + key.channel());
    }
    if (!identity.maySubscribe(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to subscribe to " + key.channel());
    }
    int max = services.config().limits().maxSubscriptions();
    if (subscriptions.size() >= max) {
      throw new PulseException(ErrorCode.LIMIT_EXCEEDED, "at most " + max + " subscriptions per connection");
    }
    Since since = Since.parse(frame.body().getValue("since"));
    ChannelOptions options = services.config().channelOptions(key);
    boolean deltas = frame.flag("delta") && options.delta();
    Long requestId = frame.id();
    Subscription sub = new Subscription(key, this, deltas);
    subscriptions.put(key, sub);
    services.hub().subscribe(shard, key, sub)
        .compose(v -> startingPoint(key, options, since))
        .onComplete(ar -> {
          if (sub.removed) {
            if (!closed) {
              fail(requestId, ErrorCode.NOT_FOUND, "unsubscribed from " + key.channel() + " before the subscription completed");
            }
            return;
          }
          if (ar.failed()) {
            LOG.warn("connection {}: subscribe to {} failed: {}", id, key, ar.cause().toString());
            drop(sub);
            fail(requestId, since == null ? ErrorCode.UNAVAILABLE : ErrorCode.RECOVERY_FAILED, "history unavailable, try again");
            return;
          }
          if (options.ephemeral()) {
            // nothing stored, nothing to recover: live messages only
            send(Frames.subscribedEphemeral(requestId, key.channel(), since == null));
            sub.goLive(0, List.of());
          } else {
            Replay replay = ar.result();
            services.hub().baseline(key, replay.position());
            boolean recovered = since == null || replay.recovered();
            send(Frames.subscribed(requestId, key.channel(), replay.position(), recovered, options.cache(), deltas));
            List<Message> messages = replay.messages();
            long start = since != null && recovered ? since.offset()
                : messages.isEmpty() ? replay.position().offset() : messages.get(0).offset() - 1;
            sub.goLive(start, messages);
          }
          services.presence().join(key, clientInfo()).onSuccess(change -> announce("join", key, identity, change));
        });
  }

  /**
   * Where a new subscription starts: the channel's position, with the messages a recovering client
   * missed; on a cache channel also its latest message when the client does not have it yet (no
   * {@code since}, or a {@code since} that cannot be recovered). Nothing on an ephemeral channel.
   */
  private Future<Replay> startingPoint(ChannelKey key, ChannelOptions options, Since since) {
    History history = services.history();
    if (options.ephemeral()) {
      return Future.succeededFuture();
    }
    if (since == null) {
      return options.cache() ? history.recent(key, 1) : history.position(key).map(p -> new Replay(true, p, List.of()));
    }
    Future<Replay> recovery = history.since(key, since.offset(), since.epoch(), services.config().limits().maxHistoryRequest());
    return !options.cache() ? recovery : recovery.compose(r -> r.recovered() ? Future.succeededFuture(r)
        : history.recent(key, 1).map(last -> new Replay(false, last.position(), last.messages())));
  }

  private void onUnsubscribe(ClientFrame frame) {
    ChannelKey key = services.publisher().key(identity.app(), frame.channel());
    Subscription sub = subscriptions.get(key);
    if (sub == null) {
      throw new PulseException(ErrorCode.NOT_FOUND, "not subscribed to " + key.channel());
    }
    drop(sub);
    send(Frames.unsubscribed(frame.id(), key.channel()));
  }

  /** An {@code ack} (with the offset, for publishes), or the error the request failed with. */
  void acked(Long requestId, Long offset, Throwable failure) {
    if (failure == null) {
      send(Frames.ack(requestId, offset));
    } else {
      replyFailure(requestId, failure);
    }
  }

  void replyFailure(Long requestId, Throwable cause) {
    if (cause instanceof PulseException p) {
      fail(requestId, p.code(), p.getMessage());
    } else {
      LOG.warn("connection {}: request failed: {}", id, cause.toString());
      fail(requestId, ErrorCode.UNAVAILABLE, "temporarily unavailable, try again");
    }
  }

  void fail(Long requestId, ErrorCode code, String message) {
    services.metrics().error(code, (identity != null ? "app " + identity.app() + ", " : "") + id + ": " + message);
    send(Frames.error(requestId, code, message));
  }

  // ---- outbound ----

  WireFormat format() {
    return format;
  }

  /**
   * A reply or control frame. Replies count against the same outbound limit as messages: a client that
   * keeps asking and never reads is a slow consumer too, and must not make the node queue its replies
   * without bound.
   */
  void send(String frame) {
    if (!closed && stillReading()) {
      transport.send(frame);
    }
  }

  /** A shared frame; false when nothing was written (closed, or closed now as too slow). */
  boolean write(ByteBuf frame) {
    if (closed || !stillReading()) {
      return false;
    }
    transport.write(frame);
    return true;
  }

  private boolean stillReading() {
    if (transport.writable()) {
      return true;
    }
    tooSlow("outbound queue full");
    return false;
  }

  /** Closes a client that does not read fast enough (1013), rather than queue without bound. */
  void tooSlow(String why) {
    services.metrics().slowConsumer(describe());
    close(CloseCode.TRY_AGAIN_LATER, "too slow: " + why);
  }

  private void announce(String type, ChannelKey key, Identity who, PresenceChange change) {
    if (change == PresenceChange.USER_CHANGED && services.config().channelOptions(key).joinLeave()) {
      services.bridge().publishEvent(key, Frames.presenceEvent(type, key.channel(), who.user(), who.name()));
    }
  }

  private ClientInfo clientInfo() {
    return new ClientInfo(id, identity.anonymous() ? null : identity.user(), identity.name());
  }

  // ---- lifecycle ----

  /** Closes with a code; subscriptions are dropped at once so no more frames are queued. */
  @Override
  public void close(short code, String reason) {
    if (closed) {
      return;
    }
    release();
    services.metrics().closed(code);
    transport.close(code, reason);
  }

  @Override
  public void onClosed() {
    release();
  }

  private void release() {
    if (closed) {
      return;
    }
    closed = true;
    deadlines.cancel();
    for (Subscription sub : new ArrayList<>(subscriptions.values())) {
      drop(sub);
    }
  }

  private void drop(Subscription sub) {
    sub.removed = true;
    subscriptions.remove(sub.key);
    services.hub().unsubscribe(shard, sub.key, sub);
    if (identity != null) {
      Identity who = identity;
      services.presence().leave(sub.key, clientInfo()).onSuccess(change -> announce("leave", sub.key, who, change));
    }
  }

  @Override
  public ConnectionInfo info() {
    Identity who = identity;
    return new ConnectionInfo(id, services.config().nodeId(), who == null ? null : who.app(),
        who == null || who.anonymous() ? null : who.user(), subscriptions.size(), connectedAtMillis, false, transport.kind());
  }

  private String describe() {
    Identity who = identity;
    return who == null ? id : "app " + who.app() + ", user " + (who.anonymous() ? "(anonymous)" : who.user()) + ", " + id;
  }

  static String abbreviate(String s) {
    return s.length() > 32 ? s.substring(0, 32) + "…" : s;
  }
}
