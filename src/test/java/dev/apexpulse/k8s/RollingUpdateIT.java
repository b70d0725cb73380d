package dev.apexpulse.k8s;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A rolling update on one machine, as the Deployment does it (maxSurge 1, maxUnavailable 0): three
 * clustered nodes (the real jar, separate JVMs, Hazelcast on loopback), 300 subscribed clients and a
 * steady publisher; each old node is replaced in turn: a new node starts and turns ready, the old one
 * leaves the "load balancer" (the test's list of ready nodes, as the endpoint controller would), then
 * gets SIGTERM and drains (not ready, 1012). Clients closed with 1012 reconnect to a ready node and
 * resubscribe with {@code since}. At the end every client is connected and has received every
 * message published since it first subscribed exactly once.
 *
 * <p>Needs the clustered gateway (branch {@code cluster}): skipped while the jar has no cluster engines.
 * {@code -Dpulse.it.jar=…} runs it against another build of the jar.
 */
@Timeout(600)
class RollingUpdateIT {
  private static final int NODES = 3;
  private static final int CLIENTS = 300;
  private static final int PUBLISH_EVERY_MS = 50;   // 20 messages/s
  private static final int READINESS_DELAY = 1;
  private static final int GRACE = 4;
  private static final String CHANNEL = "roll/feed";
  private static final Jwt JWT = new Jwt(TestNode.APP, TestNode.SECRET);
  private static final List<String> JVM = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  @TempDir
  Path dir;

  /** The nodes a load balancer would route to now. */
  private final List<PulseProcess> ready = new CopyOnWriteArrayList<>();
  private final List<PulseProcess> all = new CopyOnWriteArrayList<>();
  private final String clusterName = "roll-" + Long.toString(System.nanoTime(), 36);
  private int hzBase;

  static Path jar() {
    String override = System.getProperty("pulse.it.jar");
    return override != null ? Path.of(override) : PulseProcess.jar();
  }

  static boolean clustered(Path jar) throws IOException {
    try (JarFile f = new JarFile(jar.toFile())) {
      return f.getEntry("dev/apexpulse/cluster/ClusterEngines.class") != null;
    }
  }

  private PulseProcess startNode(int slot) throws Exception {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 2 * NODES; i++) {
      members.add("127.0.0.1:" + (hzBase + i));
    }
    Map<String, String> env = new java.util.HashMap<>();
    env.put("PULSE_MODE", "production");
    env.put("PULSE_NODE_ID", "n-roll" + slot);
    env.put("PULSE_LOG_FORMAT", "json");
    env.put("PULSE_HTTP_HOST", "127.0.0.1");
    env.put("PULSE_HTTP_PORT", "0");
    env.put("PULSE_HTTP_INSTANCES", "2");
    env.put("PULSE_APP_100_SECRET", TestNode.SECRET);
    env.put("PULSE_APP_100_API_KEY", TestNode.API_KEY);
    env.put("PULSE_HISTORY_SIZE", "5000");
    env.put("PULSE_LIMITS_API_RATE", "100000");
    env.put("PULSE_LIMITS_API_BURST", "100000");
    env.put("PULSE_DRAIN_READINESS_DELAY_SECONDS", Integer.toString(READINESS_DELAY));
    env.put("PULSE_DRAIN_GRACE_SECONDS", Integer.toString(GRACE));
    env.put("PULSE_CLUSTER_ENABLED", "true");
    env.put("PULSE_CLUSTER_NAME", clusterName);
    env.put("PULSE_CLUSTER_PORT", Integer.toString(hzBase + slot));
    env.put("PULSE_CLUSTER_PORT_COUNT", "1");
    env.put("PULSE_CLUSTER_MEMBERS", String.join(",", members));
    env.put("PULSE_CLUSTER_EVENT_BUS_HOST", "127.0.0.1");
    PulseProcess p = PulseProcess.start("roll-node" + slot, jar(), env, JVM);
    all.add(p);
    return p;
  }

  @Test
  void everyClientGetsEveryMessageExactlyOnceThroughARollOfThreeNodes() throws Exception {
    Path jar = jar();
    assumeTrue(clustered(jar), jar + " has no cluster engines (branch cluster not merged): rolling update not testable");
    hzBase = freePorts(2 * NODES);
    Vertx vertx = Vertx.vertx();
    List<RollClient> clients = new ArrayList<>();
    Thread cleanup = new Thread(() -> all.forEach(p -> p.process.destroyForcibly()));
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      // 1. three nodes, one cluster
      List<PulseProcess> old = new ArrayList<>();
      for (int i = 0; i < NODES; i++) {
        old.add(startNode(i));
      }
      for (PulseProcess p : old) {
        p.awaitReady(120);
        ready.add(p);
      }

      // 2. 300 clients over the three nodes, each subscribed
      for (int i = 0; i < CLIENTS; i++) {
        RollClient c = new RollClient(vertx, "u" + i, old.get(i % NODES));
        clients.add(c);
        c.connect();
      }
      long until = System.currentTimeMillis() + 60_000;
      while (clients.stream().anyMatch(c -> !c.subscribed()) && System.currentTimeMillis() < until) {
        Thread.sleep(50);
      }
      assertThat(clients).allMatch(RollClient::subscribed);

      // 3. a steady publisher through the ready nodes
      Publisher publisher = new Publisher();
      publisher.start();
      Thread.sleep(2000);
      long rollStarted = System.nanoTime();

      // 4. replace the nodes one by one
      for (int i = 0; i < NODES; i++) {
        PulseProcess fresh = startNode(NODES + i);
        fresh.awaitReady(120);
        ready.add(fresh);
        Thread.sleep(2000);                       // minReadySeconds: partitions migrate
        PulseProcess leaving = old.get(i);
        ready.remove(leaving);                    // out of the endpoints
        Thread.sleep(300);                        // preStop
        long t0 = System.nanoTime();
        leaving.process.destroy();                // SIGTERM: drain
        assertThat(leaving.process.waitFor(READINESS_DELAY + GRACE + 10, TimeUnit.SECONDS))
            .as("node %s exited after SIGTERM", leaving.nodeId).isTrue();
        System.out.printf("roll: %s replaced by %s, drained and exited (%d) in %d ms%n", leaving.nodeId, fresh.nodeId,
            leaving.process.exitValue(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        Thread.sleep(1000);
      }
      long rollMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - rollStarted);
      Thread.sleep(2000);
      publisher.stop();
      long last = publisher.lastOffset.get();

      // 5. everyone catches up to the last offset, and is connected
      until = System.currentTimeMillis() + 60_000;
      while (clients.stream().anyMatch(c -> c.highest() < last || !c.subscribed()) && System.currentTimeMillis() < until) {
        Thread.sleep(100);
      }
      long missing = 0;
      long duplicates = 0;
      long deliveries = 0;
      int reconnects = 0;
      int notRecovered = 0;
      long slowestReconnect = 0;
      List<String> problems = new ArrayList<>();
      for (RollClient c : clients) {
        long m = c.missing(last);
        missing += m;
        duplicates += c.duplicates.get();
        deliveries += c.received.cardinality();
        reconnects += c.reconnects.get();
        notRecovered += c.notRecovered.get();
        slowestReconnect = Math.max(slowestReconnect, c.slowestReconnectMillis.get());
        if (m > 0 || c.duplicates.get() > 0 || !c.subscribed() || c.notRecovered.get() > 0) {
          problems.add(c.user + ": missing " + m + ", duplicates " + c.duplicates + ", subscribed " + c.subscribed()
              + ", recovered:false " + c.notRecovered + ", errors " + c.errors);
        }
      }
      System.out.printf("rolling update: %d nodes replaced in %d ms; %d clients; %d messages published (%d failed attempts); "
              + "%d deliveries checked; %d reconnects (slowest %d ms from close to resubscribed); missing %d, duplicates %d, "
              + "recovered:false %d%n", NODES, rollMillis, CLIENTS, publisher.published.get(), publisher.failures.get(),
          deliveries, reconnects, slowestReconnect, missing, duplicates, notRecovered);
      assertThat(problems).as("clients with problems (first 20)").hasSizeLessThan(1).isEmpty();
      assertThat(reconnects).as("every client was on a drained node").isGreaterThanOrEqualTo(CLIENTS);
      assertThat(publisher.published.get()).isGreaterThan(100);
    } finally {
      for (RollClient c : clients) {
        c.close();
      }
      vertx.close().await(10, TimeUnit.SECONDS);
      for (PulseProcess p : all) {
        p.close();
      }
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  private PulseProcess pick() {
    List<PulseProcess> now = new ArrayList<>(ready);
    if (now.isEmpty()) {
      throw new IllegalStateException("no ready node");
    }
    return now.get(ThreadLocalRandom.current().nextInt(now.size()));
  }

  /** POSTs one message every PUBLISH_EVERY_MS to a ready node; a failed attempt is retried on another. */
  private final class Publisher {
    final AtomicLong lastOffset = new AtomicLong();
    final AtomicInteger published = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread = new Thread(this::run, "roll-publisher");

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
    }

    private void run() {
      int seq = 0;
      while (running.get()) {
        long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PUBLISH_EVERY_MS);
        seq++;
        for (int attempt = 0; attempt < 20; attempt++) {
          try {
            PulseProcess node = pick();
            Http.Response r = Http.post("http://127.0.0.1:" + node.port + "/api/v1/apps/100/publish", TestNode.API_KEY,
                new JsonObject().put("channel", CHANNEL).put("data", new JsonObject().put("seq", seq)).encode());
            if (r.status() == 200) {
              long offset = r.json().getJsonArray("results").getJsonObject(0).getLong("offset");
              lastOffset.accumulateAndGet(offset, Math::max);
              published.incrementAndGet();
              break;
            }
          } catch (RuntimeException e) {
            // node going away: try another
          }
          failures.incrementAndGet();
          sleep(50);
        }
        long wait = next - System.nanoTime();
        if (wait > 0) {
          sleep(TimeUnit.NANOSECONDS.toMillis(wait));
        }
      }
    }

    private void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A subscriber that reconnects like pulse.js: to any ready node, resubscribing with since. */
  private final class RollClient {
    final String user;
    final BitSet received = new BitSet();
    final AtomicInteger duplicates = new AtomicInteger();
    final AtomicInteger reconnects = new AtomicInteger();
    final AtomicInteger notRecovered = new AtomicInteger();
    final AtomicLong slowestReconnectMillis = new AtomicLong();
    final List<String> errors = new CopyOnWriteArrayList<>();
    private final Vertx vertx;
    private final WebSocketClient client;
    private final String token;
    private volatile PulseProcess node;
    private volatile WebSocket ws;
    private volatile boolean subscribed;
    private volatile boolean closing;
    private long firstOffset = -1;
    private long lastOffset;
    private String epoch;
    private long closedAt;

    RollClient(Vertx vertx, String user, PulseProcess node) {
      this.vertx = vertx;
      this.user = user;
      this.node = node;
      this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setConnectTimeout(5000));
      this.token = JWT.hs256(JWT.claims(user, 3600).put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**")));
    }

    boolean subscribed() {
      return subscribed && ws != null && !ws.isClosed();
    }

    synchronized long highest() {
      return lastOffset;
    }

    void connect() {
      WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port)
          .setURI("/ws?token=" + token).setAllowOriginHeader(false);
      client.connect(o).onComplete(ar -> {
        if (ar.failed()) {
          retry();
          return;
        }
        ws = ar.result();
        ws.textMessageHandler(this::frame);
        ws.closeHandler(v -> closed(ws.closeStatusCode()));
      });
    }

    private synchronized void frame(String text) {
      JsonObject f = new JsonObject(text);
      switch (f.getString("type")) {
        case "welcome" -> {
          JsonObject sub = new JsonObject().put("type", "subscribe").put("id", 1).put("channel", CHANNEL);
          if (firstOffset >= 0) {
            sub.put("since", new JsonObject().put("offset", lastOffset).put("epoch", epoch));
          }
          ws.writeTextMessage(sub.encode());
        }
        case "subscribed" -> {
          if (firstOffset < 0) {
            firstOffset = f.getLong("offset");
            lastOffset = firstOffset;
          } else if (!f.getBoolean("recovered", false)) {
            notRecovered.incrementAndGet();
          }
          epoch = f.getString("epoch");
          subscribed = true;
          if (closedAt > 0) {
            slowestReconnectMillis.accumulateAndGet(System.currentTimeMillis() - closedAt, Math::max);
            closedAt = 0;
          }
        }
        case "message" -> {
          long offset = f.getLong("offset");
          if (offset > Integer.MAX_VALUE || offset <= firstOffset) {
            duplicates.incrementAndGet();
          } else if (received.get((int) offset)) {
            duplicates.incrementAndGet();
          } else {
            received.set((int) offset);
          }
          lastOffset = Math.max(lastOffset, offset);
        }
        case "error" -> errors.add(f.encode());
        default -> { }
      }
    }

    private synchronized void closed(Short code) {
      subscribed = false;
      if (closing) {
        return;
      }
      if (code == null || code != 1012) {
        errors.add("closed with " + code);
      }
      closedAt = System.currentTimeMillis();
      reconnects.incrementAndGet();
      retry();
    }

    private void retry() {
      if (closing) {
        return;
      }
      // pulse.js: 1012 retries within restartDelay (1 s), with jitter, against the load balancer
      vertx.setTimer(1 + ThreadLocalRandom.current().nextInt(500), t -> {
        try {
          node = pick();
        } catch (IllegalStateException e) {
          retry();
          return;
        }
        connect();
      });
    }

    synchronized long missing(long last) {
      long m = 0;
      for (long o = firstOffset + 1; o <= last; o++) {
        if (!received.get((int) o)) {
          m++;
        }
      }
      return m;
    }

    void close() {
      closing = true;
      if (ws != null && !ws.isClosed()) {
        ws.close();
      }
      client.close();
    }
  }

  /** A run of free loopback ports for Hazelcast members (checked, not reserved). */
  private static int freePorts(int count) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = 20000 + ThreadLocalRandom.current().nextInt(30000);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IOException("no " + count + " free consecutive ports");
  }
}
