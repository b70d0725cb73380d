package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults in a 3-node cluster of real processes (issue 7, part 4), each checked with offsets: every
 * acknowledged (HTTP 200) or committed (outbox row) message reaches every subscriber exactly once, in
 * offset order, once the subscribers have recovered the way pulse.js does (reconnect elsewhere,
 * resubscribe with {@code since}).
 *
 * <ol>
 *   <li>kill -9 of two nodes, one after the other, during publish bursts sent to every node;
 *   <li>SIGSTOP of a node for longer than Hazelcast's failure detection (5 s), then SIGCONT: it stops
 *       and comes back by itself;
 *   <li>the database stopped (H2 TCP server down 4 s) while the outbox is being delivered.
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240)
class FaultTest {
  static final String APP = "100";
  static Server h2;
  static int h2Port;
  static String dbUrl;
  static ClusterFixture cluster;
  static Map<String, String> env;
  static final List<NodeProcess> live = new CopyOnWriteArrayList<>();
  static Vertx clients;
  static final Map<String, String> figures = new LinkedHashMap<>();
  static final AtomicInteger nextSlot = new AtomicInteger(3);

  @BeforeAll
  static void start() throws Exception {
    Path dir = Path.of("target", "fault-db", Long.toString(System.nanoTime(), 36)).toAbsolutePath();
    Files.createDirectories(dir);
    h2Port = ClusterFixture.freePortRange(1);
    h2 = startH2();
    dbUrl = "jdbc:h2:tcp://127.0.0.1:" + h2Port + "/" + dir.resolve("pulse");
    cluster = new ClusterFixture(6); // 0-2 the first three nodes, 3-5 replacements
    env = new HashMap<>();
    env.put("PULSE_DB_URL", dbUrl);
    // the whole ring may be recovered: these tests are about the cluster losing nothing, not about the window
    env.put("PULSE_LIMITS_MAX_HISTORY_REQUEST", "20000");
    env.put("PULSE_DB_QUERY_TIMEOUT_SECONDS", "3");
    env.put("PULSE_DB_READINESS", "false");
    env.put("PULSE_OUTBOX_BATCH", "50");
    env.put("PULSE_OUTBOX_INTERVAL_MILLIS", "50");
    env.put("PULSE_OUTBOX_MAX_BACKOFF_MILLIS", "500");
    try {
      NodeProcess a = cluster.launch("a", 0, env);
      long readyA = a.awaitReady(90_000); // first alone: it creates the outbox tables
      NodeProcess b = cluster.launch("b", 1, env);
      NodeProcess c = cluster.launch("c", 2, env);
      long readyB = b.awaitReady(90_000);
      long readyC = c.awaitReady(90_000);
      figures.put("process start to ready, A / B, C", readyA + " / " + readyB + ", " + readyC + " ms");
      live.addAll(List.of(a, b, c));
      awaitMembers(3);
      clients = Vertx.vertx();
    } catch (Throwable t) {
      stop();
      throw t;
    }
  }

  static Server startH2() throws Exception {
    return Server.createTcpServer("-tcpPort", Integer.toString(h2Port), "-tcpAllowOthers", "-ifNotExists").start();
  }

  @AfterAll
  static void stop() {
    if (clients != null) {
      clients.close().await();
    }
    if (cluster != null) {
      cluster.closeAll();
    }
    if (h2 != null) {
      h2.stop();
    }
    System.out.println("\n==== fault figures (" + Runtime.getRuntime().availableProcessors() + " cores, loopback) ====");
    figures.forEach((k, v) -> System.out.println("  " + k + ": " + v));
    System.out.println("================================================================\n");
  }

  static void awaitMembers(int n) {
    for (NodeProcess p : live) {
      ClusterTest.await(n + " members seen by " + p.label, 60_000, () -> p.metric("pulse_cluster_members") == n);
    }
  }

  /** A live node other than {@code not}, round robin. */
  static NodeProcess another(NodeProcess not) {
    List<NodeProcess> options = new ArrayList<>(live);
    options.remove(not);
    return options.get((int) (System.nanoTime() % options.size()));
  }

  static NodeProcess replace(NodeProcess dead) {
    int slot = nextSlot.getAndIncrement();
    NodeProcess n = cluster.launch(dead.label + "2", slot, env);
    n.awaitReady(90_000);
    live.add(n);
    return n;
  }

  /** Followers: {@code perNode} on each live node; they move on when their node dies or goes silent. */
  static List<Follower> followers(String channel, int perNode, long patienceMillis) throws Exception {
    List<Follower> out = new ArrayList<>();
    int i = 0;
    for (NodeProcess n : List.copyOf(live)) {
      for (int k = 0; k < perNode; k++) {
        Follower f = new Follower(clients, channel + "#" + i, channel, cluster.token("f" + i++), patienceMillis,
            FaultTest::another);
        f.start(n);
        out.add(f);
      }
    }
    return out;
  }

  /** Publishes batches over HTTP to {@code via}, or another live node when it is gone; records acked offsets. */
  static final class Publisher {
    final Set<Long> acked = new ConcurrentSkipListSet<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> threads = new ArrayList<>();

    Publisher(String channel, int batch, List<NodeProcess> via) {
      for (NodeProcess first : via) {
        Thread t = new Thread(() -> {
          NodeProcess target = first;
          int i = 0;
          while (running.get()) {
            if (!target.process.isAlive() || !live.contains(target)) {
              target = another(target);
            }
            JsonArray messages = new JsonArray();
            for (int k = 0; k < batch; k++) {
              messages.add(new JsonObject().put("channel", channel).put("data", new JsonObject().put("i", i++).put("via", target.label)));
            }
            try {
              Http.Response r = Http.post(target.http() + "/api/v1/apps/" + APP + "/publish", ClusterFixture.API_KEY,
                  new JsonObject().put("messages", messages).encode());
              if (r.status() == 200) {
                for (Object o : r.json().getJsonArray("results")) {
                  acked.add(((JsonObject) o).getLong("offset"));
                }
              } else {
                refused.add(target.label + ": " + r.status());
              }
            } catch (IllegalStateException e) {
              refused.add(target.label + ": " + e.getCause());
            }
            ClusterFixture.sleep(20);
          }
        }, "publisher-" + first.label);
        t.start();
        threads.add(t);
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(30_000);
      }
    }
  }

  /** Every follower: contiguous offsets, none twice, up to the last acknowledged one, no problem seen. */
  static void assertExactlyOnce(String what, List<Follower> followers, Set<Long> acked, long last) {
    for (Follower f : followers) {
      f.calm();
    }
    for (Follower f : followers) {
      ClusterTest.await(f.name + " (on " + f.where() + ", moves " + f.moves() + ") reaches offset " + last, 60_000,
          () -> f.last() >= last);
    }
    for (Follower f : followers) {
      assertThat(f.problems()).as("%s: %s; moves %s", what, f.name, f.moves()).isEmpty();
      List<Long> got = f.offsets();
      long first = got.get(0);
      for (int i = 0; i < got.size(); i++) {
        assertThat(got.get(i)).as("%s: %s offset #%d", what, f.name, i).isEqualTo(first + i);
      }
      Set<Long> missing = new TreeSet<>();
      for (long o : acked) {
        if (o >= first && !got.contains(o)) {
          missing.add(o);
        }
      }
      assertThat(missing).as("%s: acknowledged offsets %s never reached", what, f.name).isEmpty();
      f.stop();
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void killMinus9OfTwoNodesDuringPublishBurstsLosesNothingAcknowledged() throws Exception {
    String channel = "fault/burst";
    List<Follower> followers = followers(channel, 2, 3000);
    NodeProcess a = live.get(0);
    NodeProcess b = live.get(1);
    NodeProcess c = live.get(2);
    Publisher pub = new Publisher(channel, 20, List.of(a, b, c));
    ClusterFixture.sleep(2000);

    long t0 = System.nanoTime();
    live.remove(c);
    c.kill();
    int ackedAtFirstKill = pub.acked.size();
    NodeProcess d = replace(c);
    figures.put("kill -9 of C, its replacement D ready", ms(System.nanoTime() - t0) + " ms");
    awaitMembers(3);
    ClusterFixture.sleep(3000); // partitions migrate to D and back up again before the next death

    live.remove(b);
    b.kill();
    ClusterFixture.sleep(2500);
    pub.stop();
    long last = Collections.max(pub.acked);
    figures.put("burst test: messages acknowledged (batches of 20 on every node)", pub.acked.size() + " (" + ackedAtFirstKill + " before the first kill)");
    figures.put("burst test: publish requests refused or cut by the kills (client must retry)", Integer.toString(pub.refused.size()));
    figures.put("burst test: follower moves", followers.stream().mapToInt(f -> f.moves().size()).sum() + "");
    assertExactlyOnce("kill -9 during bursts", followers, pub.acked, last);
    // the survivors agree on the channel's state: same epoch, same offset
    JsonObject onA = Http.get(a.http() + "/api/v1/apps/100/history?channel=" + channel + "&limit=1", ClusterFixture.API_KEY).json();
    JsonObject onD = Http.get(d.http() + "/api/v1/apps/100/history?channel=" + channel + "&limit=1", ClusterFixture.API_KEY).json();
    assertThat(onD.getString("epoch")).isEqualTo(onA.getString("epoch"));
    assertThat(onD.getLong("offset")).isEqualTo(onA.getLong("offset")).isGreaterThanOrEqualTo(last);
  }

  @Test
  @Order(2)
  void aNodePausedLongerThanFailureDetectionStopsItselfAndItsClientsRecoverOnTheCluster() throws Exception {
    // back to three nodes
    live.add(replace(cluster.nodes.stream().filter(n -> n.label.equals("b")).findFirst().orElseThrow()));
    awaitMembers(3);
    String channel = "fault/pause";
    NodeProcess paused = live.get(1);
    // patient followers stay on the paused node through the pause (pulse.js waits two heartbeat
    // intervals, 50 s by default); impatient ones move after 3 s of silence
    List<Follower> patient = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Follower f = new Follower(clients, "patient#" + i, channel, cluster.token("p" + i), 60_000, FaultTest::another);
      f.start(paused);
      patient.add(f);
    }
    List<Follower> others = followers(channel, 1, 3000);
    List<NodeProcess> publishVia = new ArrayList<>(live);
    publishVia.remove(paused);
    Publisher pub = new Publisher(channel, 10, publishVia);
    ClusterFixture.sleep(1500);

    long pid = paused.process.pid();
    long t0 = System.nanoTime();
    signal("STOP", pid);
    for (NodeProcess n : live) {
      if (n != paused) {
        ClusterTest.await(n.label + " drops the paused node", 30_000, () -> n.metric("pulse_cluster_members") == 2);
      }
    }
    figures.put("SIGSTOP of a node -> the others drop it", ms(System.nanoTime() - t0) + " ms");
    ClusterFixture.sleep(2000);
    signal("CONT", pid);
    long resumed = System.nanoTime();
    // dropped by the cluster, it must not go on as a cluster of one: it notices, drains (1012) and starts
    // a fresh node in the same process, which joins the cluster again
    live.remove(paused);
    ClusterTest.await("the paused node stops", 30_000, () -> paused.logText().contains("node n-" + paused.label + " stopped"));
    assertThat(paused.logText()).contains("was frozen for");
    figures.put("SIGCONT -> the paused node has drained and stopped", ms(System.nanoTime() - resumed) + " ms");
    ClusterTest.await("the paused node is back", 90_000, () -> paused.logText().contains(" back: ready on "));
    paused.awaitReady(30_000);
    assertThat(paused.process.isAlive()).as("the same process").isTrue();
    live.add(paused);
    awaitMembers(3);
    figures.put("SIGCONT -> the same process ready again, 3 members", ms(System.nanoTime() - resumed) + " ms");
    ClusterFixture.sleep(3000);
    pub.stop();
    long last = Collections.max(pub.acked);
    figures.put("pause test: messages acknowledged", Integer.toString(pub.acked.size()));
    List<Follower> all = new ArrayList<>(patient);
    all.addAll(others);
    assertExactlyOnce("SIGSTOP/SIGCONT", all, pub.acked, last);
    for (Follower f : patient) {
      figures.put("pause test: " + f.name + " moves", f.moves().toString());
    }
  }

  @Test
  @Order(3)
  void theDatabaseStoppedDuringOutboxDeliveryLosesAndRepeatsNoCommittedRow() throws Exception {
    String channel = "fault/outbox";
    List<Follower> followers = followers(channel, 1, 30_000);
    int rows = 3000;
    try (Connection c = DriverManager.getConnection(dbUrl, "", "")) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("insert into pulse_outbox (app_id, channel, payload) values (?, ?, ?)")) {
        for (int i = 0; i < rows; i++) {
          ps.setString(1, APP);
          ps.setString(2, channel);
          ps.setString(3, "{\"row\":" + i + "}");
          ps.addBatch();
          if (i % 500 == 499) {
            ps.executeBatch();
            c.commit();
          }
        }
      }
    }
    // stop the database while the poller is part-way through
    ClusterTest.await("outbox delivery under way", 30_000, () -> followers.get(0).offsets().size() >= 300);
    long t0 = System.nanoTime();
    h2.stop();
    int deliveredWhenStopped = followers.get(0).offsets().size();
    ClusterFixture.sleep(4000);
    h2 = startH2();
    figures.put("outbox: rows delivered when the database stopped", Integer.toString(deliveredWhenStopped));
    for (Follower f : followers) {
      ClusterTest.await(f.name + " receives every row", 90_000, () -> f.offsets().size() >= rows);
    }
    figures.put("outbox: database down 4 s -> all " + rows + " rows delivered", ms(System.nanoTime() - t0) + " ms after the stop");
    ClusterFixture.sleep(1000);
    long last = 0;
    for (Follower f : followers) {
      last = Math.max(last, f.last());
    }
    // every committed row exactly once: count them by payload on one follower, offsets on all
    Set<Long> acked = new TreeSet<>();
    for (long o = followers.get(0).offsets().get(0); o <= last; o++) {
      acked.add(o);
    }
    List<Integer> everyRow = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      everyRow.add(i);
    }
    for (Follower f : followers) {
      assertThat(f.offsets()).as("%s: one message per committed row", f.name).hasSize(rows);
      assertThat(f.rows()).as("%s: every row once, in id order", f.name).isEqualTo(everyRow);
    }
    assertExactlyOnce("database stopped during outbox delivery", followers, acked, last);
    try (Connection c = DriverManager.getConnection(dbUrl, "", "");
         var rs = c.createStatement().executeQuery("select count(*) from pulse_outbox")) {
      rs.next();
      assertThat(rs.getInt(1)).as("outbox drained").isZero();
    }
  }

  static void signal(String sig, long pid) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
