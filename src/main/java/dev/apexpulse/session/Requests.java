package dev.apexpulse.session;

import dev.apexpulse.auth.Identity;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.TokenBucket;
import dev.apexpulse.protocol.BinaryFrames;
import dev.apexpulse.protocol.ClientFrame;
import dev.apexpulse.protocol.Frames;
import io.vertx.core.json.Json;

/**
 * The requests of a session that leave its subscriptions alone: publish (JSON and binary), presence and
 * trigger. Each is checked against the identity's grants and answered through the session.
 */
final class Requests {
  private final Services services;
  private final Session session;
  private TokenBucket triggerBucket;

  Requests(Services services, Session session) {
    this.services = services;
    this.session = session;
  }

  void publish(Identity identity, ClientFrame frame) {
    ChannelKey key = publishable(identity, frame.channel());
    if (!frame.body().containsKey("data")) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "publish needs data");
    }
    Long requestId = frame.id();
    services.publisher().publishJson(key.app(), key.channel(), Json.encode(frame.body().getValue("data")), identity.user())
        .onComplete(ar -> session.acked(requestId, ar.succeeded() ? ar.result().offset() : null, ar.cause()));
  }

  /** A binary publish ({@link BinaryFrames}), answered with a JSON ack or error carrying its id. */
  void publishBinary(Identity identity, BinaryFrames.Publish publish) {
    ChannelKey key = publishable(identity, publish.channel());
    services.publisher().publishBinary(key.app(), key.channel(), publish.payload(), identity.user())
        .onComplete(ar -> session.acked(publish.id(), ar.succeeded() ? ar.result().offset() : null, ar.cause()));
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
    Long requestId = frame.id();
    services.presence().clients(key).onComplete(ar -> {
      if (ar.succeeded()) {
        session.send(Frames.presence(requestId, key.channel(), ar.result()));
      } else {
        session.replyFailure(requestId, ar.cause());
      }
    });
  }
}
