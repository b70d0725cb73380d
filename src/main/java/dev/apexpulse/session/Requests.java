package dev.apexpulse.session;

import dev.apexpulse.auth.Identity;
import dev.apexpulse.channel.IdempotencyKey;
import dev.apexpulse.channel.Published;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.TokenBucket;
import dev.apexpulse.protocol.BinaryFrames;
import dev.apexpulse.protocol.ClientFrame;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Replay;
import dev.apexpulse.protocol.Frames;
import dev.apexpulse.protocol.Since;
import io.vertx.core.Future;
import io.vertx.core.json.Json;

import java.util.List;

/**
 * The requests of a session that leave its subscriptions alone: publish (JSON and binary), presence,
 * history and trigger. Each is checked against the identity's grants and answered through the session.
 */
final class Requests {
  private final Services services;
  private final Session session;
  private TokenBucket triggerBucket;
  private TokenBucket historyBucket;

  Requests(Services services, Session session) {
    this.services = services;
    this.session = session;
  }

  void publish(Identity identity, ClientFrame frame) {
    ChannelKey key = publishable(identity, frame.channel());
    if (!frame.body().containsKey("data")) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "publish needs data");
    }
    String idempotencyKey = IdempotencyKey.client(frame.body().getValue("idempotencyKey"));
    Long requestId = frame.id();
    services.publisher().publishJson(key.app(), key.channel(), Json.encode(frame.body().getValue("data")), identity.user(), idempotencyKey)
        .onComplete(ar -> session.acked(requestId, offset(ar.result()), ar.cause()));
  }

  /** A binary publish ({@link BinaryFrames}), answered with a JSON ack or error carrying its id. */
  void publishBinary(Identity identity, BinaryFrames.Publish publish) {
    ChannelKey key = publishable(identity, publish.channel());
    services.publisher().publishBinary(key.app(), key.channel(), publish.payload(), identity.user(), null)
        .onComplete(ar -> session.acked(publish.id(), offset(ar.result()), ar.cause()));
  }

  /** The ack's offset: none on an ephemeral channel (or when the publish failed). */
  private static Long offset(Published p) {
    return p != null && p.stored() ? p.offset() : null;
  }

  private ChannelKey publishable(Identity identity, Object channel) {
    ChannelKey key = services.publisher().key(identity.app(), channel);
    if (!identity.mayPublish(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to publish to " + key.channel());
    }
    return key;
  }

  /** Runs a job now on its runner node; triggers close together share one run (see ScheduleVerticle). */
  void trigger(Identity identity, ClientFrame frame) {
    if (!(frame.body().getValue("job") instanceof String name)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "trigger needs a string job");
    }
    JobSettings job = services.jobs().job(name);
    if (job == null || !job.app().equals(identity.app())) {
      throw new PulseException(ErrorCode.NOT_FOUND, "no job named " + Session.abbreviate(name));
    }
    if (!job.triggerable()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "job " + name + " cannot be triggered");
    }
    if (!identity.mayTrigger(name)) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to trigger " + name);
    }
    if (triggerBucket == null) {
      triggerBucket = new TokenBucket(services.config().limits().triggerRate(), services.config().limits().triggerBurst(), System.nanoTime());
    }
    if (!triggerBucket.take(System.nanoTime())) {
      throw new PulseException(ErrorCode.RATE_LIMITED, "more than " + services.config().limits().triggerRate() + " triggers per second");
    }
    Long requestId = frame.id();
    services.jobs().trigger(job).onComplete(ar -> session.acked(requestId, null, ar.cause()));
  }

  void presence(Identity identity, ClientFrame frame) {
    ChannelKey key = services.publisher().key(identity.app(), frame.channel());
    if (!identity.maySubscribe(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to see presence of " + key.channel());
    }
    if (!services.config().channelOptions(key).presence()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "presence is off for " + key.channel() + " (its channel options)");
    }
    Long requestId = frame.id();
    services.presence().clients(key).onComplete(ar -> {
      if (ar.succeeded()) {
        session.send(Frames.presence(requestId, key.channel(), ar.result()));
      } else {
        session.replyFailure(requestId, ar.cause());
      }
    });
  }

  /**
   * A channel's past over the socket: the newest {@code limit} messages, or those after {@code since},
   * oldest first ({@code reverse}: newest first). Needs the subscribe grant; at most
   * {@code limits.maxHistoryRequest} messages, {@code limits.historyRate} requests per second, and a
   * reply that fits in {@code limits.maxQueuedBytes}.
   */
  void history(Identity identity, ClientFrame frame) {
    ChannelKey key = services.publisher().key(identity.app(), frame.channel());
    if (!identity.maySubscribe(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to read the history of " + key.channel());
    }
    PulseConfig.Limits limits = services.config().limits();
    int limit = limit(frame.body().getValue("limit"), limits.maxHistoryRequest());
    Since since = Since.parse(frame.body().getValue("since"));
    Object reverseField = frame.body().getValue("reverse");
    if (reverseField != null && !(reverseField instanceof Boolean)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "reverse must be true or false");
    }
    boolean reverse = Boolean.TRUE.equals(reverseField);
    if (historyBucket == null) {
      historyBucket = new TokenBucket(limits.historyRate(), limits.historyBurst(), System.nanoTime());
    }
    if (!historyBucket.take(System.nanoTime())) {
      throw new PulseException(ErrorCode.RATE_LIMITED, "more than " + limits.historyRate() + " history requests per second");
    }
    Long requestId = frame.id();
    if (services.config().channelOptions(key).ephemeral()) {
      session.send(Frames.history(requestId, key.channel(), null, since == null, List.of(), reverse));
      return;
    }
    History history = services.history();
    Future<Replay> read = since == null ? history.recent(key, limit) : history.since(key, since.offset(), since.epoch(), limit);
    read.onComplete(ar -> {
      if (ar.failed()) {
        session.replyFailure(requestId, new PulseException(ErrorCode.UNAVAILABLE, "history unavailable, try again"));
        return;
      }
      Replay r = ar.result();
      long size = 0;
      for (Message m : r.messages()) {
        size += (m.binary() ? m.bytes().length * 4L / 3 : m.data().length()) + 64;
      }
      if (size > limits.maxQueuedBytes()) {
        session.replyFailure(requestId, new PulseException(ErrorCode.TOO_LARGE, "the reply would be larger than "
            + limits.maxQueuedBytes() + " bytes (limits.maxQueuedBytes): ask for fewer messages"));
        return;
      }
      session.send(Frames.history(requestId, key.channel(), r.position(), r.recovered(), r.messages(), reverse));
    });
  }

  private static int limit(Object raw, int max) {
    if (raw == null) {
      return max;
    }
    if (raw instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= 1 && n.longValue() <= max) {
      return n.intValue();
    }
    throw new PulseException(ErrorCode.BAD_REQUEST, "limit must be an integer from 1 to " + max + " (limits.maxHistoryRequest)");
  }
}
