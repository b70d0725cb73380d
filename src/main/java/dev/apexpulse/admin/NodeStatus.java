package dev.apexpulse.admin;

import dev.apexpulse.Node;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.gateway.ConnectionInfo;
import dev.apexpulse.gateway.GatewayVerticle;
import dev.apexpulse.metrics.PulseMetrics;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * This node's status for the console, sampled once a second on the wall-clock second (so every node of
 * a cluster samples the same second): uptime, connections (by app), heap, event-loop lag, messages
 * published and delivered in the second, fan-out latency p50/p99 over the last
 * {@value #LATENCY_WINDOW} seconds, busiest channels, error and close counters, recent events. Keeps
 * the last {@value #SERIES_SECONDS} seconds of published/delivered counts for the chart.
 */
final class NodeStatus {
  static final int SERIES_SECONDS = 600;
  static final int LATENCY_WINDOW = 10;
  static final int TOP_CHANNELS = 50;
  /** How often each event loop's lag probe fires. */
  private static final long PROBE_MILLIS = 100;
  private static final double RATE_DECAY = 0.8;

  private final Node node;
  private final Vertx vertx;
  private final PulseMetrics metrics;
  private final long[] seriesSecond = new long[SERIES_SECONDS];
  private final long[] seriesPublished = new long[SERIES_SECONDS];
  private final long[] seriesDelivered = new long[SERIES_SECONDS];
  private final ArrayDeque<long[]> latencyWindows = new ArrayDeque<>();
  private final Map<ChannelKey, Double> channelRates = new HashMap<>();
  private final LongAccumulator maxLagNanos = new LongAccumulator(Math::max, 0);
  private final List<long[]> probes = new ArrayList<>();
  private double lastPublished;
  private double lastDelivered;
  private long lastEventsAt;
  private volatile boolean stopped;

  NodeStatus(Node node) {
    this.node = node;
    this.vertx = node.vertx();
    this.metrics = node.metrics();
    this.lastPublished = metrics.publishedCount();
    this.lastDelivered = metrics.deliveredCount();
    this.lastEventsAt = System.currentTimeMillis();
  }

  /** Starts a lag probe on every event loop that holds sockets: a timer that notes how late it fires. */
  void startProbes() {
    for (GatewayVerticle g : node.gateways()) {
      long[] timer = {-1};
      probes.add(timer);
      g.context().runOnContext(v -> probe(timer, System.nanoTime()));
    }
  }

  private void probe(long[] timer, long armedAt) {
    if (stopped) {
      return;
    }
    timer[0] = vertx.setTimer(PROBE_MILLIS, t -> {
      long now = System.nanoTime();
      maxLagNanos.accumulate(Math.max(0, now - armedAt - TimeUnit.MILLISECONDS.toNanos(PROBE_MILLIS)));
      probe(timer, now);
    });
  }

  void stop() {
    stopped = true;
    for (long[] t : probes) {
      if (t[0] >= 0) {
        vertx.cancelTimer(t[0]);
      }
    }
  }

  /** Samples the second that ended at {@code secondEnd} (epoch ms, a whole second). */
  Future<JsonObject> sample(long secondEnd) {
    long second = secondEnd / 1000 - 1;
    double pub = metrics.publishedCount();
    double del = metrics.deliveredCount();
    long published = Math.round(pub - lastPublished);
    long delivered = Math.round(del - lastDelivered);
    lastPublished = pub;
    lastDelivered = del;
    int i = (int) Math.floorMod(second, (long) SERIES_SECONDS);
    seriesSecond[i] = second;
    seriesPublished[i] = published;
    seriesDelivered[i] = delivered;
    Double[] latency = latencyPercentiles();
    long lag = maxLagNanos.getThenReset();
    Map<ChannelKey, LongAdder> counts = metrics.channelRates().drain();
    updateRates(counts);
    // everything but the sockets is read here, on the sampling timer's thread
    JsonArray channels = topChannels();
    JsonArray recent = metrics.recent().since(lastEventsAt, 20);
    lastEventsAt = recent.isEmpty() ? lastEventsAt : recent.getJsonObject(recent.size() - 1).getLong("at");

    List<Future<List<ConnectionInfo>>> lists = new ArrayList<>();
    for (GatewayVerticle g : node.gateways()) {
      lists.add(g.connections());
    }
    return Future.all(lists).map(all -> {
      Map<String, Integer> byApp = new TreeMap<>();
      int admins = 0;
      int total = 0;
      for (int k = 0; k < all.size(); k++) {
        for (ConnectionInfo c : all.<List<ConnectionInfo>>resultAt(k)) {
          if (c.admin()) {
            admins++;
            continue;
          }
          total++;
          if (c.app() != null) {
            byApp.merge(c.app(), 1, Integer::sum);
          }
        }
      }
      MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
      long now = System.currentTimeMillis();
      JsonObject errors = new JsonObject();
      metrics.errorCounts().forEach(errors::put);
      JsonObject closes = new JsonObject();
      metrics.closeCounts().forEach(closes::put);
      JsonObject apps = new JsonObject();
      byApp.forEach(apps::put);
      return new JsonObject()
          .put("node", node.config().nodeId())
          .put("second", second)
          .put("startedAt", node.startedAtMillis())
          .put("uptimeSeconds", (now - node.startedAtMillis()) / 1000)
          .put("address", node.config().http().host() + ":" + node.port())
          .put("mode", node.describe().startsWith("clustered") ? "clustered" : "standalone")
          .put("ready", node.ready())
          .put("draining", node.draining())
          .put("connections", total)
          .put("admins", admins)
          .put("apps", apps)
          .put("heapUsedMb", heap.getUsed() / (1024 * 1024))
          .put("heapMaxMb", heap.getMax() < 0 ? heap.getCommitted() / (1024 * 1024) : heap.getMax() / (1024 * 1024))
          .put("lagMs", round1(lag / 1e6))
          .put("published", published)
          .put("delivered", delivered)
          .put("fanoutP50Ms", latency[0])
          .put("fanoutP99Ms", latency[1])
          .put("channels", channels)
          .put("errors", errors)
          .put("closes", closes)
          .put("slowConsumers", (long) metrics.slowConsumerCount())
          .put("outboxRunner", node.background().outbox() != null && node.background().outbox().runner())
          .put("recent", recent);
    });
  }

  /** The last {@value #SERIES_SECONDS} seconds of this node's counts, ending with the last sampled second. */
  JsonObject series(long lastSecond) {
    JsonArray pub = new JsonArray();
    JsonArray del = new JsonArray();
    long first = lastSecond - SERIES_SECONDS + 1;
    for (long s = first; s <= lastSecond; s++) {
      int i = (int) Math.floorMod(s, (long) SERIES_SECONDS);
      boolean have = seriesSecond[i] == s;
      pub.add(have ? seriesPublished[i] : 0L);
      del.add(have ? seriesDelivered[i] : 0L);
    }
    return new JsonObject().put("start", first).put("published", pub).put("delivered", del);
  }

  private void updateRates(Map<ChannelKey, LongAdder> counts) {
    channelRates.replaceAll((k, r) -> r * RATE_DECAY);
    counts.forEach((k, n) -> channelRates.merge(k, n.sum() * (1 - RATE_DECAY), Double::sum));
    channelRates.values().removeIf(r -> r < 0.005);
  }

  /** The channels with the most local subscribers, and those published to most, with both numbers. */
  private JsonArray topChannels() {
    Map<ChannelKey, Integer> subscribers = new HashMap<>();
    node.hub().forEachChannel(subscribers::put);
    List<ChannelKey> bySubs = new ArrayList<>(subscribers.keySet());
    bySubs.removeIf(k -> AdminAccess.APP.equals(k.app()));
    bySubs.sort(Comparator.comparing((ChannelKey k) -> -subscribers.get(k)).thenComparing(ChannelKey::toString));
    List<ChannelKey> byRate = new ArrayList<>(channelRates.keySet());
    byRate.sort(Comparator.comparing((ChannelKey k) -> -channelRates.get(k)).thenComparing(ChannelKey::toString));
    Map<ChannelKey, Boolean> chosen = new java.util.LinkedHashMap<>();
    bySubs.stream().limit(TOP_CHANNELS).forEach(k -> chosen.put(k, true));
    byRate.stream().limit(TOP_CHANNELS).forEach(k -> chosen.put(k, true));
    JsonArray out = new JsonArray();
    for (ChannelKey k : chosen.keySet()) {
      out.add(new JsonObject().put("app", k.app()).put("channel", k.channel())
          .put("subscribers", subscribers.getOrDefault(k, 0)).put("rate", round1(channelRates.getOrDefault(k, 0.0))));
    }
    return out;
  }

  /**
   * p50 and p99 of the fan-out latency over the last seconds, in ms, from the cumulative histogram of
   * the {@code pulse_fanout_latency} timer: the difference between now and {@value #LATENCY_WINDOW}
   * seconds ago, interpolated within a bucket. Null when nothing was fanned out in the window.
   */
  private Double[] latencyPercentiles() {
    CountAtBucket[] buckets = metrics.fanoutLatency().takeSnapshot().histogramCounts();
    long[] counts = new long[buckets.length];
    for (int i = 0; i < buckets.length; i++) {
      counts[i] = (long) buckets[i].count();
    }
    latencyWindows.addLast(counts);
    while (latencyWindows.size() > LATENCY_WINDOW + 1) {
      latencyWindows.removeFirst();
    }
    long[] oldest = latencyWindows.peekFirst();
    long[] delta = new long[counts.length];
    for (int i = 0; i < counts.length; i++) {
      delta[i] = counts[i] - (oldest == counts || oldest.length != counts.length ? 0 : oldest[i]);
    }
    return new Double[] {percentile(buckets, delta, 0.5), percentile(buckets, delta, 0.99)};
  }

  static Double percentile(CountAtBucket[] buckets, long[] cumulative, double q) {
    if (cumulative.length == 0 || cumulative[cumulative.length - 1] <= 0) {
      return null;
    }
    double total = cumulative[cumulative.length - 1];
    double want = q * total;
    double lowerBound = 0;
    long lowerCount = 0;
    for (int i = 0; i < buckets.length; i++) {
      double upper = buckets[i].bucket(TimeUnit.NANOSECONDS) / 1e6;
      if (cumulative[i] >= want) {
        long inBucket = cumulative[i] - lowerCount;
        double frac = inBucket <= 0 ? 1 : (want - lowerCount) / inBucket;
        return round3(lowerBound + (upper - lowerBound) * Math.max(0, Math.min(1, frac)));
      }
      lowerBound = upper;
      lowerCount = cumulative[i];
    }
    return round3(lowerBound);
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
