package dev.apexpulse.gateway;

import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.TokenBucket;
import dev.apexpulse.transport.Endpoint;
import dev.apexpulse.transport.sse.SseTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The node's event streams by session id, and the way to them from any node. An id is this node's route
 * (8 hex digits, random per start) and 144 random bits: the route says which node holds the stream, the
 * rest is the credential. A POST that lands on another node is forwarded over the event bus to the
 * holder's one consumer ({@code pulse.sse.<route>}), so a plain round-robin balancer works: no sticky
 * sessions. The frames of one POST reach the session in order, on its event loop, before the POST is
 * answered, so a client that waits for each answer keeps its frames in order across POSTs and nodes.
 */
final class SseSessions {
  static final String ADDRESS = "pulse.sse.";
  private static final Pattern ID = Pattern.compile("[0-9a-f]{8}\\.[A-Za-z0-9_-]{24}");
  private static final long FORWARD_TIMEOUT_MILLIS = 10_000;

  private final Vertx vertx;
  private final PulseConfig config;
  private final SecureRandom random = new SecureRandom();
  private final String route;
  private final Map<String, Stream> streams = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;

  /** A stream, the event loop it lives on, and its budget of POSTs (touched on that loop only). */
  private record Stream(SseTransport transport, Context context, TokenBucket posts) {}

  /** What one POST carries: JSON frames, or one binary frame. */
  record Posted(List<String> texts, byte[] binary, String origin) {}

  SseSessions(Vertx vertx, PulseConfig config) {
    this.vertx = vertx;
    this.config = config;
    byte[] r = new byte[4];
    random.nextBytes(r);
    this.route = HexFormat.of().formatHex(r);
  }

  /** Listens for POSTs forwarded by other nodes; completes once the cluster knows the address. */
  Future<Void> start() {
    consumer = vertx.eventBus().consumer(ADDRESS + route, this::forwarded);
    return consumer.completion();
  }

  String newId() {
    byte[] secret = new byte[18];
    random.nextBytes(secret);
    return route + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** A stream opened on the loop of {@code context}. */
  void add(SseTransport transport, Context context) {
    streams.put(transport.session(), new Stream(transport, context,
        new TokenBucket(config.limits().frameRate(), config.limits().frameBurst(), System.nanoTime())));
  }

  void remove(String id) {
    streams.remove(id);
  }

  /**
   * Hands a POST's frames to the session {@code id}, on this node or the one holding it. Fails with a
   * {@link PulseException}: {@code unknown_session}, {@code forbidden} (Origin not allowed for the
   * session's app), {@code rate_limited} (more POSTs than {@code limits.frameRate}), {@code unavailable}.
   */
  Future<Void> deliver(String id, Posted posted) {
    if (!ID.matcher(id).matches()) {
      return unknown();
    }
    String holder = id.substring(0, 8);
    if (holder.equals(route)) {
      return deliverHere(id, posted);
    }
    JsonObject body = new JsonObject().put("session", id).put("origin", posted.origin());
    if (posted.binary() != null) {
      body.put("binary", posted.binary());
    } else {
      body.put("texts", new JsonArray(List.copyOf(posted.texts())));
    }
    return vertx.eventBus().request(ADDRESS + holder, body, new DeliveryOptions().setSendTimeout(FORWARD_TIMEOUT_MILLIS))
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(fromReply(e)));
  }

  private void forwarded(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    byte[] binary = body.containsKey("binary") ? body.getBinary("binary") : null;
    List<String> texts = binary != null ? null : body.getJsonArray("texts").stream().map(String.class::cast).toList();
    deliverHere(body.getString("session"), new Posted(texts, binary, body.getString("origin"))).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(null);
      } else {
        PulseException p = (PulseException) ar.cause();
        msg.fail(p.code().httpStatus(), p.getMessage());
      }
    });
  }

  private Future<Void> deliverHere(String id, Posted posted) {
    Stream s = streams.get(id);
    if (s == null) {
      return unknown();
    }
    Promise<Void> done = Promise.promise();
    s.context().runOnContext(v -> {
      Endpoint session = s.transport().endpoint();
      String app = session.info().app();
      if (streams.get(id) != s || app == null) {
        done.fail(new PulseException(ErrorCode.UNKNOWN_SESSION, "no open event stream has this session id"));
        return;
      }
      AppConfig appConfig = config.app(app);
      if (!OriginPolicy.allowed(appConfig.origins(), posted.origin())) {
        done.fail(new PulseException(ErrorCode.FORBIDDEN, "origin not allowed for app " + app));
        return;
      }
      if (!s.posts().take(System.nanoTime())) {
        done.fail(new PulseException(ErrorCode.RATE_LIMITED, "more than " + config.limits().frameRate() + " requests per second"));
        return;
      }
      if (posted.binary() != null) {
        session.onBinary(Buffer.buffer(posted.binary()));
      } else {
        for (String text : posted.texts()) {
          session.onText(text);
        }
      }
      done.complete();
    });
    return done.future();
  }

  private static Future<Void> unknown() {
    return Future.failedFuture(new PulseException(ErrorCode.UNKNOWN_SESSION, "no open event stream has this session id"));
  }

  private static PulseException fromReply(Throwable e) {
    if (e instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.NO_HANDLERS) {
        // the node that opened the stream is gone
        return new PulseException(ErrorCode.UNKNOWN_SESSION, "no open event stream has this session id");
      }
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        ErrorCode code = switch (r.failureCode()) {
          case 403 -> ErrorCode.FORBIDDEN;
          case 429 -> ErrorCode.RATE_LIMITED;
          case 404 -> ErrorCode.UNKNOWN_SESSION;
          default -> ErrorCode.UNAVAILABLE;
        };
        return new PulseException(code, r.getMessage());
      }
    }
    return new PulseException(ErrorCode.UNAVAILABLE, "the node holding the stream did not answer, try again");
  }
}
