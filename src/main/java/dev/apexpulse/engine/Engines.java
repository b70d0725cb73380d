package dev.apexpulse.engine;

import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.Idempotency;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.ChannelOptions;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Retention;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.presence.Presence;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;

import java.util.function.Function;

/**
 * The parts that differ between a standalone node and a cluster member: the Vert.x instance
 * (clustered or not) and where history, presence and message routing live.
 */
public interface Engines {

  /** Adjusts the Vert.x options before the instance is built (e.g. event-bus host and port). */
  default void configure(VertxOptions options, PulseConfig config) {}

  Future<Vertx> vertx(VertxBuilder builder, PulseConfig config);

  History history(Vertx vertx, PulseConfig config);

  Presence presence(Vertx vertx, PulseConfig config);

  Bridge bridge(Vertx vertx, PulseConfig config, LocalHub hub);

  /** Where idempotency keys are remembered (after {@link #history}, which a cluster's looks keys up in). */
  Idempotency idempotency(Vertx vertx, PulseConfig config, PulseMetrics metrics);

  /** Runs once the node is deployed, before its start completes (e.g. event-bus services, metrics). */
  default Future<Void> started(PulseConfig config, PulseMetrics metrics, Publisher publisher, NodeControl node) {
    return Future.succeededFuture();
  }

  /** Runs while the node stops: its sockets are closed, Vert.x is not yet. */
  default Future<Void> stopping() {
    return Future.succeededFuture();
  }

  /** Housekeeping for the engines, run every minute (e.g. forgetting idle in-memory history). */
  default void sweep(History history, LocalHub hub) {}

  /** How this node runs, for the start-up log line. */
  String describe();

  /** Each channel's history retention: its channel options' ({@code apps.<id>.channels}, else {@code history:}). */
  static Function<ChannelKey, Retention> retention(PulseConfig config) {
    return key -> {
      ChannelOptions o = config.channelOptions(key);
      return new Retention(o.historySize(), o.historyTtlSeconds());
    };
  }

  /** Whether history, presence and routing are shared with other nodes. */
  default boolean clustered() {
    return false;
  }
}
