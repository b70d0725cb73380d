package dev.apexpulse.engine;

import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.Idempotency;
import dev.apexpulse.channel.LocalBridge;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.MemoryIdempotency;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.history.History;
import dev.apexpulse.history.MemoryHistory;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.presence.LocalPresence;
import dev.apexpulse.presence.Presence;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;

/** A cluster of one: no Hazelcast, history and presence in memory, the bridge a direct call. */
public class StandaloneEngines implements Engines {

  @Override
  public Future<Vertx> vertx(VertxBuilder builder, PulseConfig config) {
    return Future.succeededFuture(builder.build());
  }

  private MemoryHistory history;

  @Override
  public History history(Vertx vertx, PulseConfig config) {
    history = new MemoryHistory(Engines.retention(config), System::currentTimeMillis);
    return history;
  }

  @Override
  public Future<Void> started(PulseConfig config, PulseMetrics metrics, Publisher publisher, NodeControl node) {
    Gauge.builder("pulse_history_channels", history, MemoryHistory::channelCount)
        .description("Channels whose history this node keeps in memory").register(metrics.registry());
    return Future.succeededFuture();
  }

  @Override
  public Presence presence(Vertx vertx, PulseConfig config) {
    return new LocalPresence();
  }

  @Override
  public Bridge bridge(Vertx vertx, PulseConfig config, LocalHub hub) {
    return new LocalBridge(hub);
  }

  @Override
  public Idempotency idempotency(Vertx vertx, PulseConfig config, PulseMetrics metrics) {
    MemoryIdempotency keys = new MemoryIdempotency(vertx, config.idempotency().windowSeconds() * 1000L,
        config.idempotency().maxKeys(), System::currentTimeMillis, metrics);
    metrics.idempotencyKeys(keys::size);
    return keys;
  }

  @Override
  public void sweep(History history, LocalHub hub) {
    if (history instanceof MemoryHistory memory) {
      memory.sweep(hub::inUse);
    }
  }

  @Override
  public String describe() {
    return "standalone";
  }
}
