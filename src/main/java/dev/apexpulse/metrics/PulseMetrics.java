package dev.apexpulse.metrics;

import dev.apexpulse.core.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** The gateway's own meters, in the same Prometheus registry as Vert.x's. */
public final class PulseMetrics {
  /** The window of the fan-out latency's percentiles and maximum. */
  public static final int LATENCY_WINDOW_SECONDS = 10;
  private final PrometheusMeterRegistry registry;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong subscriptions = new AtomicLong();
  private final Counter published;
  private final Counter delivered;
  private final Counter fanouts;
  private final Timer fanoutLatency;
  private final Counter slowConsumers;
  private final Counter gapFilled;
  private final DistributionSummary gapSkipped;
  private final Counter idempotentRepeats;
  private final Counter idempotencyEvicted;
  private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);
  private final Map<String, Counter> closes = new ConcurrentHashMap<>();
  private final Map<String, Counter> refusedUpgrades = new ConcurrentHashMap<>();
  private final RecentEvents recent = new RecentEvents();
  private final ChannelRates channelRates = new ChannelRates();
  private final Map<String, Counter> httpTimeouts = new ConcurrentHashMap<>();

  public PulseMetrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public PulseMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("pulse_connections", connections, AtomicInteger::get)
        .description("Open WebSocket connections on this node").register(registry);
    Gauge.builder("pulse_subscriptions", subscriptions, AtomicLong::get)
        .description("Channel subscriptions of the connections on this node").register(registry);
    published = Counter.builder("pulse_messages_published").description("Messages published through this node").register(registry);
    delivered = Counter.builder("pulse_messages_delivered").description("Message frames written to sockets").register(registry);
    fanouts = Counter.builder("pulse_fanouts").description("Messages fanned out to local subscribers").register(registry);
    fanoutLatency = Timer.builder("pulse_fanout_latency")
        .description("From a message reaching this node to its frames being queued on every local socket")
        .publishPercentileHistogram()
        // the console's p50/p99: Micrometer keeps them over a sliding window
        .publishPercentiles(0.5, 0.99)
        .distributionStatisticExpiry(Duration.ofSeconds(LATENCY_WINDOW_SECONDS))
        .distributionStatisticBufferLength(LATENCY_WINDOW_SECONDS)
        .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    slowConsumers = Counter.builder("pulse_slow_consumer_closes")
        .description("Connections closed with 1013 because they did not read fast enough").register(registry);
    gapFilled = Counter.builder("pulse_sequence_gaps_filled")
        .description("Out-of-order gaps filled from history").register(registry);
    gapSkipped = DistributionSummary.builder("pulse_sequence_gap_skipped")
        .description("Offsets never delivered because history no longer had them").register(registry);
    idempotentRepeats = Counter.builder("pulse_idempotent_repeats")
        .description("Publishes that repeated an idempotency key within the window: answered, not published").register(registry);
    idempotencyEvicted = Counter.builder("pulse_idempotency_keys_evicted")
        .description("Idempotency keys forgotten before their window ended because idempotency.maxKeys was reached").register(registry);
    for (ErrorCode code : ErrorCode.values()) {
      errors.put(code, Counter.builder("pulse_errors").tag("code", code.wire())
          .description("Protocol and API errors by code").register(registry));
    }
  }

  /** Channels with local subscribers on this node (one event-bus consumer each when clustered). */
  public void channelsInUse(Supplier<Integer> count) {
    // a strong reference: gauges hold their state weakly, and nothing else holds this supplier
    Gauge.builder("pulse_channels", count, Supplier::get).strongReference(true)
        .description("Channels with subscribers on this node").register(registry);
  }

  /** Idempotency keys this node holds (standalone: all; cluster: its share of the map). */
  public void idempotencyKeys(Supplier<Long> count) {
    Gauge.builder("pulse_idempotency_keys", count, Supplier::get).strongReference(true)
        .description("Idempotency keys remembered on this node").register(registry);
  }

  public void idempotentRepeat() {
    idempotentRepeats.increment();
  }

  public double idempotentRepeatCount() {
    return idempotentRepeats.count();
  }

  public void idempotencyEvicted() {
    idempotencyEvicted.increment();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public void connectionOpened() {
    connections.incrementAndGet();
  }

  public void connectionClosed() {
    connections.decrementAndGet();
  }

  public int connections() {
    return connections.get();
  }

  public void subscriptionsChanged(int delta) {
    subscriptions.addAndGet(delta);
  }

  public void published() {
    published.increment();
  }

  /** A message published through this node, counted per channel too (the console's busiest channels). */
  public void published(dev.apexpulse.core.ChannelKey key) {
    published.increment();
    channelRates.published(key);
  }

  public ChannelRates channelRates() {
    return channelRates;
  }

  public void fanout() {
    fanouts.increment();
  }

  public void delivered(int frames, long latencyNanos) {
    if (frames > 0) {
      delivered.increment(frames);
      fanoutLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
    }
  }

  public void error(ErrorCode code) {
    error(code, null);
  }

  /** An error answered to a client; {@code detail} (the message it was told) is kept for the console. */
  public void error(ErrorCode code, String detail) {
    errors.get(code).increment();
    recent.record("error", code.wire(), detail);
  }

  public void slowConsumer() {
    slowConsumer(null);
  }

  /** A connection closed with 1013 for not reading fast enough; {@code detail} names it for the console. */
  public void slowConsumer(String detail) {
    slowConsumers.increment();
    recent.record("slow_consumer", "1013", detail);
  }

  public void closed(int code) {
    closes.computeIfAbsent(Integer.toString(code), c -> Counter.builder("pulse_closes").tag("code", c)
        .description("Connections closed by the server, by close code").register(registry)).increment();
  }

  public void upgradeRefused(String reason) {
    refusedUpgrades.computeIfAbsent(reason, r -> Counter.builder("pulse_upgrades_refused").tag("reason", r)
        .description("WebSocket upgrades refused before the handshake").register(registry)).increment();
  }

  // ---- read by the operator console (dev.apexpulse.admin) ----

  public double publishedCount() {
    return published.count();
  }

  public double deliveredCount() {
    return delivered.count();
  }

  public Timer fanoutLatency() {
    return fanoutLatency;
  }

  public double slowConsumerCount() {
    return slowConsumers.count();
  }

  /** Errors answered so far, by wire code (only codes that occurred). */
  public Map<String, Long> errorCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    errors.forEach((code, c) -> {
      if (c.count() > 0) {
        out.put(code.wire(), (long) c.count());
      }
    });
    return out;
  }

  /** Connections the server closed so far, by close code. */
  public Map<String, Long> closeCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    closes.forEach((code, c) -> out.put(code, (long) c.count()));
    return out;
  }

  public RecentEvents recent() {
    return recent;
  }

  /** An HTTP connection closed by a deadline: {@code request} (slowloris) or {@code idle} (kept alive, unused). */
  public void httpTimeout(String kind) {
    httpTimeouts.computeIfAbsent(kind, k -> Counter.builder("pulse_http_timeouts").tag("kind", k)
        .description("HTTP connections closed by http.requestTimeoutSeconds or http.idleTimeoutSeconds").register(registry)).increment();
  }

  public void gapFilled() {
    gapFilled.increment();
  }

  public void gapSkipped(long offsets) {
    gapSkipped.record(offsets);
  }
}
