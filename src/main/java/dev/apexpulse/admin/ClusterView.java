package dev.apexpulse.admin;

import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster as this node hears it: the latest status of every node (each publishes one a second on
 * {@value Console#STATUS_ADDRESS}), merged into the console's overview. A node that stops says so; one
 * that died is forgotten when its status is older than {@value #STALE_MILLIS} ms.
 */
final class ClusterView {
  static final long STALE_MILLIS = 3500;
  static final int RECENT = 50;
  static final int CHANNELS_PER_APP = 10;

  private record Entry(JsonObject status, long receivedAt) {}

  private final PulseConfig config;
  private final Map<String, Entry> nodes = new ConcurrentHashMap<>();
  private final ArrayDeque<JsonObject> recent = new ArrayDeque<>();

  ClusterView(PulseConfig config) {
    this.config = config;
  }

  void accept(JsonObject status) {
    String node = status.getString("node");
    if (node == null) {
      return;
    }
    if (status.getBoolean("leaving", false)) {
      nodes.remove(node);
      return;
    }
    nodes.put(node, new Entry(status, System.currentTimeMillis()));
    JsonArray events = status.getJsonArray("recent", new JsonArray());
    synchronized (recent) {
      for (int i = 0; i < events.size(); i++) {
        recent.addLast(events.getJsonObject(i).copy().put("node", node));
        if (recent.size() > RECENT) {
          recent.removeFirst();
        }
      }
    }
  }

  /** The statuses of the live nodes, by node id. */
  List<JsonObject> live() {
    long now = System.currentTimeMillis();
    nodes.values().removeIf(e -> now - e.receivedAt > STALE_MILLIS);
    List<JsonObject> out = new ArrayList<>();
    nodes.values().forEach(e -> out.add(e.status));
    out.sort(Comparator.comparing(s -> s.getString("node")));
    return out;
  }

  /** Node ids of the live nodes. */
  List<String> nodeIds() {
    return live().stream().map(s -> s.getString("node")).toList();
  }

  /** Published and delivered messages in one second, summed over the nodes that reported it. */
  JsonObject point(long second) {
    long pub = 0;
    long del = 0;
    for (JsonObject s : live()) {
      if (s.getLong("second", -1L) == second) {
        pub += s.getLong("published", 0L);
        del += s.getLong("delivered", 0L);
      }
    }
    return new JsonObject().put("t", second).put("published", pub).put("delivered", del);
  }

  JsonArray nodes() {
    JsonArray out = new JsonArray();
    for (JsonObject s : live()) {
      JsonObject n = s.copy();
      n.remove("channels");
      n.remove("recent");
      n.remove("errors");
      n.remove("closes");
      out.add(n);
    }
    return out;
  }

  JsonObject totals() {
    List<JsonObject> live = live();
    long connections = 0;
    long pub = 0;
    long del = 0;
    Double p50 = null;
    Double p99 = null;
    double lag = 0;
    for (JsonObject s : live) {
      connections += s.getLong("connections", 0L);
      pub += s.getLong("published", 0L);
      del += s.getLong("delivered", 0L);
      p50 = max(p50, s.getDouble("fanoutP50Ms"));
      p99 = max(p99, s.getDouble("fanoutP99Ms"));
      lag = Math.max(lag, s.getDouble("lagMs", 0.0));
    }
    return new JsonObject().put("nodes", live.size()).put("connections", connections).put("published", pub)
        .put("delivered", del).put("fanoutP50Ms", p50).put("fanoutP99Ms", p99).put("maxLagMs", lag);
  }

  private static Double max(Double a, Double b) {
    return a == null ? b : b == null ? a : Double.valueOf(Math.max(a, b));
  }

  /**
   * Every configured app with its connections and busiest channels (cluster-wide: subscribers and
   * publish rates summed over the nodes), channels with the highest rate first, then by subscribers, and
   * its channel options (configuration: the same on every node).
   */
  JsonArray apps() {
    Map<String, Long> connections = new HashMap<>();
    Map<String, Map<String, double[]>> channels = new TreeMap<>();
    for (JsonObject s : live()) {
      JsonObject apps = s.getJsonObject("apps", new JsonObject());
      apps.forEach(e -> connections.merge(e.getKey(), ((Number) e.getValue()).longValue(), Long::sum));
      JsonArray list = s.getJsonArray("channels", new JsonArray());
      for (int i = 0; i < list.size(); i++) {
        JsonObject c = list.getJsonObject(i);
        double[] v = channels.computeIfAbsent(c.getString("app"), a -> new HashMap<>())
            .computeIfAbsent(c.getString("channel"), ch -> new double[2]);
        v[0] += c.getLong("subscribers", 0L);
        v[1] += c.getDouble("rate", 0.0);
      }
    }
    JsonArray out = new JsonArray();
    for (AppConfig app : config.apps().values()) {
      Map<String, double[]> mine = channels.getOrDefault(app.id(), Map.of());
      List<Map.Entry<String, double[]>> sorted = new ArrayList<>(mine.entrySet());
      sorted.sort(Comparator.comparing((Map.Entry<String, double[]> e) -> -e.getValue()[1])
          .thenComparing(e -> -e.getValue()[0]).thenComparing(Map.Entry::getKey));
      double rate = 0;
      for (double[] v : mine.values()) {
        rate += v[1];
      }
      JsonArray top = new JsonArray();
      sorted.stream().limit(CHANNELS_PER_APP).forEach(e -> top.add(new JsonObject().put("channel", e.getKey())
          .put("subscribers", (long) e.getValue()[0]).put("rate", Math.round(e.getValue()[1] * 10) / 10.0)));
      out.add(new JsonObject().put("app", app.id()).put("name", app.name())
          .put("connections", connections.getOrDefault(app.id(), 0L))
          .put("channelsInUse", mine.size()).put("rate", Math.round(rate * 10) / 10.0).put("channels", top)
          .put("channelOptions", new JsonObject().put("channels", app.channels().configured())
              .put("defaults", app.channels().defaults().toJson())));
    }
    return out;
  }

  /** Errors and server closes by code and slow-consumer closes (summed over the nodes), recent events newest first. */
  JsonObject errors() {
    Map<String, Long> byCode = new TreeMap<>();
    Map<String, Long> closes = new TreeMap<>();
    long slow = 0;
    for (JsonObject s : live()) {
      s.getJsonObject("errors", new JsonObject()).forEach(e -> byCode.merge(e.getKey(), ((Number) e.getValue()).longValue(), Long::sum));
      s.getJsonObject("closes", new JsonObject()).forEach(e -> closes.merge(e.getKey(), ((Number) e.getValue()).longValue(), Long::sum));
      slow += s.getLong("slowConsumers", 0L);
    }
    JsonArray events = new JsonArray();
    synchronized (recent) {
      List<JsonObject> copy = new ArrayList<>(recent);
      copy.sort(Comparator.comparing((JsonObject e) -> -e.getLong("at")));
      copy.forEach(events::add);
    }
    return new JsonObject().put("byCode", new JsonObject(new LinkedHashMap<>(byCode)))
        .put("closes", new JsonObject(new LinkedHashMap<>(closes))).put("slowConsumers", slow).put("recent", events);
  }
}
