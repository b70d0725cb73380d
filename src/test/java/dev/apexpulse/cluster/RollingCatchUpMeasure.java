package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publish-to-delivery latency, second by second, through a rolling update of a 3-node cluster whose
 * nodes each have subscribers on every one of N channels (issue 15, item 6): every membership change
 * makes every node re-read the rings of all its channels. Prints p50/p99/max per second and the roll's
 * steps; a spike in p99 around the steps is what the paced catch-up is meant to avoid. Not a test;
 * run it on its own (it starts four node processes):
 *
 * <pre>mvn -q test -Dtest=RollingCatchUpMeasure -Dpulse.measure=rolling [-Dchannels=10000] [-Drate=100]</pre>
 */
@EnabledIfSystemProperty(named = "pulse.measure", matches = "rolling")
@Timeout(1800)
class RollingCatchUpMeasure {
  static final int PER_SOCKET = 250;
  /** The default ring size (the fixture's 20,000 preallocates 80 KB per ring). */
  static final Map<String, String> SMALL_RINGS = Map.of("PULSE_HISTORY_SIZE", "100");
  final List<NodeProcess> ready = new CopyOnWriteArrayList<>();
  final Map<Long, List<Long>> latencies = new ConcurrentHashMap<>();
  final Map<Long, String> events = new ConcurrentHashMap<>();
  final long t0 = System.currentTimeMillis();

  @Test
  void latencyThroughARollingUpdateWithManyChannels() throws Exception {
    int channels = Integer.getInteger("channels", 10_000);
    int rate = Integer.getInteger("rate", 100);
    ClusterFixture cluster = new ClusterFixture(7); // 0-2 old nodes, 3-5 new ones, 6 a lite member of this JVM
    Vertx vertx = Vertx.vertx();
    List<Socket> sockets = new ArrayList<>();
    AtomicBoolean publishing = new AtomicBoolean(true);
    try {
      List<NodeProcess> old = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        old.add(cluster.launch("r" + i, i, SMALL_RINGS));
      }
      for (NodeProcess n : old) {
        n.awaitReady(180_000);
        ready.add(n);
      }
      // every channel has a ring (one message), and subscribers on every node
      for (int from = 0; from < channels; from += 100) {
        JsonArray batch = new JsonArray();
        for (int c = from; c < Math.min(channels, from + 100); c++) {
          batch.add(new JsonObject().put("channel", "roll/" + c).put("data", new JsonObject().put("t", 0)));
        }
        Http.post(old.get(0).http() + "/api/v1/apps/100/publish", ClusterFixture.API_KEY, new JsonObject().put("messages", batch).encode());
      }
      for (NodeProcess n : old) {
        for (int from = 0; from < channels; from += PER_SOCKET) {
          Socket s = new Socket(vertx, cluster.token("s" + sockets.size()), from, Math.min(channels, from + PER_SOCKET));
          s.connect(n);
          sockets.add(s);
        }
      }
      ClusterTest.await("every subscription made", 600_000, () -> sockets.stream().allMatch(Socket::subscribed));
      event("subscribed: " + sockets.size() + " sockets, " + (3 * channels) + " subscriptions");

      Thread publisher = new Thread(() -> {
        while (publishing.get()) {
          JsonArray batch = new JsonArray();
          for (int k = 0; k < rate / 10; k++) {
            batch.add(new JsonObject().put("channel", "roll/" + ThreadLocalRandom.current().nextInt(channels))
                .put("data", new JsonObject().put("t", System.currentTimeMillis())));
          }
          try {
            Http.post(ready.get(ThreadLocalRandom.current().nextInt(ready.size())).http() + "/api/v1/apps/100/publish",
                ClusterFixture.API_KEY, new JsonObject().put("messages", batch).encode());
          } catch (RuntimeException e) {
            // a node leaving: the next batch goes elsewhere
          }
          ClusterFixture.sleep(100);
        }
      }, "roll-publisher");
      publisher.start();
      ClusterFixture.sleep(30_000);

      // a member that holds no data joining and leaving: nothing migrates and no client moves, but
      // every node re-reads all its channels each time (the catch-up alone)
      for (int i = 0; i < 2; i++) {
        com.hazelcast.config.Config lite = new com.hazelcast.config.YamlConfigBuilder("conf/hazelcast-local.yaml").build();
        lite.setClusterName(cluster.name).setLiteMember(true);
        lite.getNetworkConfig().setPort(cluster.hzBase + 6).setPortAutoIncrement(false);
        lite.getNetworkConfig().getJoin().getTcpIpConfig().setMembers(cluster.members());
        com.hazelcast.core.HazelcastInstance member = com.hazelcast.core.Hazelcast.newHazelcastInstance(lite);
        event("lite member joined");
        ClusterFixture.sleep(15_000);
        member.getLifecycleService().shutdown();
        event("lite member left");
        ClusterFixture.sleep(15_000);
      }

      for (int i = 0; i < 3; i++) {
        NodeProcess fresh = cluster.launch("r" + (3 + i), 3 + i, SMALL_RINGS);
        event("start " + fresh.label);
        fresh.awaitReady(180_000);
        ready.add(fresh);
        event(fresh.label + " ready (member joined)");
        ClusterFixture.sleep(10_000);
        NodeProcess leaving = old.get(i);
        ready.remove(leaving);
        event("SIGTERM " + leaving.label);
        leaving.close();
        event(leaving.label + " gone (member left)");
        ClusterFixture.sleep(10_000);
      }
      ClusterFixture.sleep(20_000);
      publishing.set(false);
      publisher.join(10_000);
      report(channels, rate);
    } finally {
      publishing.set(false);
      sockets.forEach(Socket::close);
      vertx.close().await(20, TimeUnit.SECONDS);
      cluster.closeAll();
    }
  }

  void event(String what) {
    long second = (System.currentTimeMillis() - t0) / 1000;
    events.merge(second, what, (a, b) -> a + "; " + b);
  }

  void report(int channels, int rate) {
    System.out.printf("%n==== rolling update, %,d channels subscribed on every node, %d msg/s, %d cores ====%n",
        channels, rate, Runtime.getRuntime().availableProcessors());
    System.out.println("   s  msgs   p50 ms   p99 ms   max ms  event");
    TreeMap<Long, List<Long>> bySecond = new TreeMap<>(latencies);
    for (Map.Entry<Long, List<Long>> e : bySecond.entrySet()) {
      List<Long> l = new ArrayList<>(e.getValue());
      Collections.sort(l);
      System.out.printf("%4d %5d %8d %8d %8d  %s%n", e.getKey(), l.size(), l.get(l.size() / 2),
          l.get(Math.min(l.size() - 1, (int) Math.ceil(l.size() * 0.99) - 1)), l.get(l.size() - 1),
          events.getOrDefault(e.getKey(), ""));
    }
    events.forEach((s, e) -> {
      if (!bySecond.containsKey(s)) {
        System.out.printf("%4d %5s %8s %8s %8s  %s%n", s, "-", "-", "-", "-", e);
      }
    });
  }

  /** A socket subscribed to channels [from, to) that moves to another ready node when closed. */
  final class Socket {
    final Vertx vertx;
    final WebSocketClient client;
    final String token;
    final int from;
    final int to;
    final Map<Integer, long[]> last = new ConcurrentHashMap<>(); // channel -> {offset, position at subscribe}
    final Map<Integer, String> epochs = new ConcurrentHashMap<>();
    volatile WebSocket ws;
    volatile int confirmed;
    volatile boolean closing;

    Socket(Vertx vertx, String token, int from, int to) {
      this.vertx = vertx;
      this.client = vertx.createWebSocketClient();
      this.token = token;
      this.from = from;
      this.to = to;
    }

    boolean subscribed() {
      return confirmed >= to - from;
    }

    void connect(NodeProcess n) {
      confirmed = 0;
      client.connect(new WebSocketConnectOptions().setAbsoluteURI(n.ws(token)).setAllowOriginHeader(false)).onComplete(ar -> {
        if (ar.failed()) {
          retry();
          return;
        }
        WebSocket s = ar.result();
        ws = s;
        s.textMessageHandler(this::frame);
        s.closeHandler(v -> {
          if (!closing) {
            retry();
          }
        });
        for (int c = from; c < to; c++) {
          JsonObject sub = new JsonObject().put("type", "subscribe").put("id", c).put("channel", "roll/" + c);
          long[] l = last.get(c);
          if (l != null) {
            sub.put("since", new JsonObject().put("offset", l[0]).put("epoch", epochs.get(c)));
          }
          s.writeTextMessage(sub.encode());
        }
      });
    }

    void retry() {
      vertx.setTimer(200, t -> connect(ready.get(ThreadLocalRandom.current().nextInt(ready.size()))));
    }

    void frame(String text) {
      JsonObject f = new JsonObject(text);
      String type = f.getString("type");
      if ("subscribed".equals(type)) {
        int c = Integer.parseInt(f.getString("channel").substring("roll/".length()));
        long[] l = last.computeIfAbsent(c, k -> new long[2]);
        l[1] = f.getLong("offset");
        l[0] = Math.max(l[0], f.getLong("offset"));
        epochs.put(c, f.getString("epoch"));
        confirmed++;
      } else if ("message".equals(type)) {
        int c = Integer.parseInt(f.getString("channel").substring("roll/".length()));
        long[] l = last.get(c);
        long offset = f.getLong("offset");
        long t = f.getJsonObject("data").getLong("t");
        if (l != null) {
          // live messages only: a replay after a reconnect measures the reconnect, not the cluster
          if (offset > l[1] && t > 0) {
            long now = System.currentTimeMillis();
            latencies.computeIfAbsent((now - t0) / 1000, k -> Collections.synchronizedList(new ArrayList<>())).add(now - t);
          }
          l[0] = Math.max(l[0], offset);
        }
      }
    }

    void close() {
      closing = true;
      if (ws != null) {
        ws.close();
      }
      client.close();
    }
  }
}
