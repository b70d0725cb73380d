package dev.apexpulse.cluster;

import dev.apexpulse.channel.IdempotencyKey;
import dev.apexpulse.channel.Published;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pulse.publish}: other services in the cluster publish with request/reply.
 * Request {@code {"app":"100","channel":"…","data":…}}, optionally with an {@code idempotencyKey} (a
 * JsonObject, or its JSON text as a String or Buffer); reply {@code {"offset":42,"channel":"…","epoch":"…"}}
 * (only the channel on an ephemeral channel), or a failure whose code is the HTTP
 * status and whose message starts with the protocol error code: {@code "not_found: unknown app 7"}.
 * Every node registers it: requests are spread over the nodes, all going through the one Publisher.
 */
public final class PublishService {
  private static final Logger LOG = LoggerFactory.getLogger(PublishService.class);
  public static final String ADDRESS = "pulse.publish";

  private final Publisher publisher;
  private MessageConsumer<Object> consumer;

  public PublishService(Publisher publisher) {
    this.publisher = publisher;
  }

  public Future<Void> register(Vertx vertx) {
    consumer = vertx.eventBus().consumer(ADDRESS, this::handle);
    return consumer.completion();
  }

  public Future<Void> unregister() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<Object> request) {
    JsonObject body;
    try {
      body = parse(request.body());
    } catch (PulseException e) {
      fail(request, e);
      return;
    }
    if (!(body.getValue("app") instanceof String app)) {
      fail(request, new PulseException(ErrorCode.BAD_REQUEST, "app must be a string"));
      return;
    }
    if (!body.containsKey("data")) {
      fail(request, new PulseException(ErrorCode.BAD_REQUEST, "data is missing"));
      return;
    }
    String idempotencyKey;
    try {
      idempotencyKey = IdempotencyKey.client(body.getValue("idempotencyKey"));
    } catch (PulseException e) {
      fail(request, e);
      return;
    }
    publisher.publish(app, body.getValue("channel"), body.getValue("data"), null, idempotencyKey).onComplete(ar -> {
      if (ar.succeeded()) {
        Published p = ar.result();
        request.reply(p.stored() ? new JsonObject().put("offset", p.offset()).put("channel", p.key().channel()).put("epoch", p.epoch())
            : new JsonObject().put("channel", p.key().channel()));
      } else if (ar.cause() instanceof PulseException p) {
        fail(request, p);
      } else {
        LOG.warn("pulse.publish failed: {}", ar.cause().toString());
        fail(request, new PulseException(ErrorCode.UNAVAILABLE, "temporarily unavailable, try again"));
      }
    });
  }

  private static JsonObject parse(Object body) {
    if (body instanceof JsonObject o) {
      return o;
    }
    String text = body instanceof String s ? s : body instanceof Buffer b ? b.toString() : null;
    if (text != null) {
      try {
        return new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        // fall through
      }
    }
    throw new PulseException(ErrorCode.BAD_REQUEST, "body must be a JSON object {\"app\",\"channel\",\"data\"}");
  }

  private static void fail(Message<Object> request, PulseException e) {
    request.fail(e.code().httpStatus(), e.code().wire() + ": " + e.getMessage());
  }
}
