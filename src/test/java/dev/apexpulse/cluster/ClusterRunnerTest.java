package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.DatabaseUnderTest;
import dev.apexpulse.support.OnEachDatabase;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestDatabase;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One runner per cluster, with real processes: three gateway JVMs (A, B, C, as in {@link ClusterTest})
 * sharing one database, once for each database under test (H2 served over TCP by this JVM, the test
 * PostgreSQL server, your Oracle), all with the same jobs:
 *
 * <ul>
 *   <li>{@code tick1s}: {@code every: 1s}, no SQL: publishes {@code {"tick":n}} once per second in
 *   total, whichever node holds {@code pulse.lock.job.tick1s}; killing that node (SIGKILL) moves it
 *   to another node, which goes on counting;</li>
 *   <li>{@code trig-sql}: triggerable, its SQL takes the next value of the sequence {@code trig_runs},
 *   so the sequence counts how often the SQL really ran, cluster-wide;</li>
 *   <li>the outbox: every node runs a poller, the one holding {@code pulse.lock.outbox} polls.</li>
 * </ul>
 *
 * <p>The tests run in order on one cluster; each kill is followed by a replacement node. Figures are
 * printed at the end.
 */
@OnEachDatabase
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150)
record ClusterRunnerTest(DatabaseUnderTest database) {
  static final String APP = "100";
  static final String TICK = "tick1s";
  static final String TRIG = "trig-sql";
  static final int ROWS = 2000;
  static final int BATCH = 100;
  static TestDatabase db;
  static ClusterFixture cluster;
  static Map<String, String> env;
  /** Live nodes by node id (n-a, …). */
  static final Map<String, NodeProcess> live = new LinkedHashMap<>();
  static Vertx clients;
  static final Map<String, String> figures = new LinkedHashMap<>();

  @BeforeParameterizedClassInvocation
  static void start(DatabaseUnderTest database) throws Exception {
    if (database.missing() != null) {
      return; // its tests are skipped (OnEachDatabase)
    }
    db = database.openServed("runner");
    db.exec(db.createSequence("trig_runs"));
    cluster = new ClusterFixture(4); // 0 A, 1 B, 2 C, 3 D (replaces the first node killed)
    Path conf = Path.of("target", "cluster-test", cluster.name + "-jobs.yaml");
    Files.createDirectories(conf.getParent());
    Files.writeString(conf, """
        jobs:
          - name: %s
            app: "100"
            channel: runner/tick
            every: 1s
          - name: %s
            app: "100"
            channel: runner/trig
            every: 1h
            triggerable: true
            minIntervalMillis: 500
            sql: "%s"
        """.formatted(TICK, TRIG, db.select(db.nextValue("trig_runs") + " AS run")));
    env = new HashMap<>();
    env.put("PULSE_CONF", conf.toAbsolutePath().toString());
    env.putAll(db.env());
    env.put("PULSE_DB_QUERY_TIMEOUT_SECONDS", "5");
    env.put("PULSE_OUTBOX_BATCH", Integer.toString(BATCH));
    env.put("PULSE_OUTBOX_INTERVAL_MILLIS", "50");
    env.put("PULSE_OUTBOX_MAX_BACKOFF_MILLIS", "1000");
    env.put("PULSE_LIMITS_TRIGGER_RATE", "100");
    env.put("PULSE_LIMITS_TRIGGER_BURST", "100");
    try {
      NodeProcess a = cluster.launch("a", 0, env);
      long readyA = a.awaitReady(90_000); // first alone: it creates the outbox tables
      NodeProcess b = cluster.launch("b", 1, env);
      NodeProcess c = cluster.launch("c", 2, env);
      long readyB = b.awaitReady(90_000);
      long readyC = c.awaitReady(90_000);
      figures.put("process start to ready, A / B, C", readyA + " / " + readyB + ", " + readyC + " ms");
      for (NodeProcess n : List.of(a, b, c)) {
        live.put("n-" + n.label, n);
      }
      for (NodeProcess n : live.values()) {
        await("3 members seen by " + n.label, 30_000, () -> n.metric("pulse_cluster_members") == 3);
      }
      clients = Vertx.vertx();
    } catch (Throwable t) {
      stop();
      throw t;
    }
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (clients != null) {
      clients.close().await();
      clients = null;
    }
    if (cluster != null) {
      cluster.closeAll();
      cluster = null;
    }
    live.clear();
    if (db != null) {
      System.out.println("\n==== runner figures, " + db.dialect + " (" + Runtime.getRuntime().availableProcessors() + " cores, loopback) ====");
      db.close();
      db = null;
    }
    figures.forEach((k, v) -> System.out.println("  " + k + ": " + v));
    figures.clear();
    System.out.println("================================================================\n");
  }

  // ---------------------------------------------------------------------------------------------

  /** Issue 9: a trigger sent to any node runs the job on its runner only; every node's subscribers get the result. */
  @Test
  @Order(1)
  void aTriggerSentToAnyNodeRunsTheSqlOnceOnTheRunner() throws Exception {
    // the runner ran the job once when it took the lock (every: 1h, first run at once)
    await("trig-sql ran once", 30_000, () -> job(any(), TRIG).getLong("runs") >= 1 && sequence() >= 1);
    triggerFromEveryNode("");
  }

  /** Issue 9 after the kills: the trigger consumer moved with the job to its new runner. */
  @Test
  @Order(5)
  void afterTheKillsTriggersReachTheNewRunner() throws Exception {
    triggerFromEveryNode(" (after 2 kills, nodes " + live.keySet() + ")");
  }

  static void triggerFromEveryNode(String when) throws Exception {
    String runner = awaitRunner(TRIG);
    figures.put("trig-sql runner" + when, runner);
    for (NodeProcess n : live.values()) {
      assertThat(gauge(n, "pulse_job_runner", TRIG)).as("pulse_job_runner on %s", n.label)
          .isEqualTo(("n-" + n.label).equals(runner) ? 1.0 : 0.0);
    }
    String token = ClusterFixture.JWT.hs256(ClusterFixture.JWT.claims("trigger", 3600)
        .put("sub_ch", new JsonArray().add("**")).put("trig", new JsonArray().add(TRIG)));
    List<WsClient> subs = new ArrayList<>();
    try {
      for (NodeProcess n : live.values()) {
        WsClient w = WsClient.open(clients, n.ws(token));
        assertThat(w.subscribe("runner/trig").getString("type")).isEqualTo("subscribed");
        subs.add(w);
      }
      Map<String, Double> runsBefore = new LinkedHashMap<>();
      for (Map.Entry<String, NodeProcess> e : live.entrySet()) {
        runsBefore.put(e.getKey(), counter(e.getValue(), "pulse_job_runs_total", TRIG));
      }
      long seqBefore = sequence();
      // three triggers on each node's socket, all sent before any answer
      int perNode = 3;
      for (int round = 0; round < perNode; round++) {
        for (WsClient w : subs) {
          w.send(new JsonObject().put("type", "trigger").put("id", 100 + round).put("job", TRIG));
        }
      }
      for (WsClient w : subs) {
        for (int round = 0; round < perNode; round++) {
          JsonObject reply = w.replyTo(100 + round);
          assertThat(reply.getString("type")).as("%s", reply).isEqualTo("ack");
        }
      }
      long seqAfter = sequence();
      long sqlRuns = seqAfter - seqBefore;
      Map<String, Double> delta = new LinkedHashMap<>();
      for (Map.Entry<String, NodeProcess> e : live.entrySet()) {
        delta.put(e.getKey(), counter(e.getValue(), "pulse_job_runs_total", TRIG) - runsBefore.get(e.getKey()));
      }
      figures.put(perNode * subs.size() + " triggers (" + perNode + " on each node)" + when + ": SQL runs (sequence), runs_total increase per node", sqlRuns + ", " + delta);
      assertThat(sqlRuns).as("triggers close together share runs").isBetween(1L, 3L);
      for (Map.Entry<String, Double> e : delta.entrySet()) {
        assertThat(e.getValue()).as("runs on %s", e.getKey()).isEqualTo(e.getKey().equals(runner) ? (double) sqlRuns : 0.0);
      }
      assertThat(job(any(), TRIG).getString("runner")).isEqualTo(runner);
      // the last run's result reached the subscribers of every node
      for (int i = 0; i < subs.size(); i++) {
        long last = 0;
        long end = System.currentTimeMillis() + 10_000;
        while (last < seqAfter) {
          assertThat(System.currentTimeMillis()).as("subscriber #%d got run %d", i, seqAfter).isLessThan(end);
          JsonObject f = subs.get(i).poll(10, TimeUnit.SECONDS);
          if ("message".equals(f.getString("type"))) {
            last = f.getJsonObject("data").getJsonArray("rows").getJsonObject(0).getLong("run");
          }
        }
        assertThat(last).isEqualTo(seqAfter);
      }
    } finally {
      subs.forEach(WsClient::close);
    }
  }

  /** Issue 4: three nodes, one tick per second in total. */
  @Test
  @Order(2)
  void anEverySecondJobPublishesOncePerSecondInTotal() {
    String runner = awaitRunner(TICK);
    long holders = live.values().stream().filter(n -> gauge(n, "pulse_job_runner", TICK) == 1).count();
    assertThat(holders).as("pulse_job_runner{job=tick1s} is 1 on one node").isEqualTo(1);
    try (WsClient w = WsClient.open(clients, other(runner).ws(cluster.token("ticks")))) {
      w.subscribe("runner/tick");
      List<JsonObject> ticks = collect(w, 5_000);
      List<Long> n = ticks.stream().map(t -> t.getLong("tick")).toList();
      List<Long> at = ticks.stream().map(t -> Instant.parse(t.getString("at")).toEpochMilli()).toList();
      List<Long> steps = new ArrayList<>();
      for (int i = 1; i < at.size(); i++) {
        steps.add(at.get(i) - at.get(i - 1));
      }
      figures.put("tick1s over 5 s on 3 nodes: ticks, ms between runs", n + ", " + steps);
      assertThat(ticks).as("about 5 in 5 s, not 15").hasSizeBetween(4, 6);
      for (int i = 1; i < n.size(); i++) {
        assertThat(n.get(i)).as("consecutive ticks %s", n).isEqualTo(n.get(i - 1) + 1);
      }
      // fixed rate: on a loaded machine one run can be late and the next one early (1731, 269 ms seen
      // at load 15), so the average, not each step, is about a second
      long span = at.get(at.size() - 1) - at.get(0);
      assertThat(span / (at.size() - 1)).as("about 1 s apart on average: %s", steps).isBetween(700L, 1400L);
    }
  }

  /** Issue 4: kill -9 of the tick's runner moves the job to another node within 10 s, counting on. */
  @Test
  @Order(3)
  void killingTheRunnerMovesTheJobWithinTenSeconds() {
    String runner = awaitRunner(TICK);
    NodeProcess victim = live.get(runner);
    NodeProcess watcher = other(runner);
    try (WsClient w = WsClient.open(clients, watcher.ws(cluster.token("ticks2")))) {
      w.subscribe("runner/tick");
      List<JsonObject> before = collect(w, 1_500);
      assertThat(before).isNotEmpty();
      long killedAt = System.currentTimeMillis();
      long killed = System.nanoTime();
      victim.kill();
      live.remove(runner);
      // first tick run (its "at") after the kill, on the survivor's subscriber
      List<JsonObject> after = new ArrayList<>();
      JsonObject first = null;
      long end = System.currentTimeMillis() + 15_000;
      while (first == null) {
        assertThat(System.currentTimeMillis()).as("a tick after the kill").isLessThan(end);
        try {
          JsonObject f = w.poll(1, TimeUnit.SECONDS);
          if ("message".equals(f.getString("type"))) {
            after.add(f.getJsonObject("data"));
            if (Instant.parse(f.getJsonObject("data").getString("at")).toEpochMilli() > killedAt) {
              first = f.getJsonObject("data");
            }
          }
        } catch (AssertionError none) {
          // keep waiting
        }
      }
      long takeover = ms(System.nanoTime() - killed);
      long firstRunAt = Instant.parse(first.getString("at")).toEpochMilli() - killedAt;
      String newRunner = awaitRunner(TICK);
      long recorded = ms(System.nanoTime() - killed);
      assertThat(newRunner).isNotEqualTo(runner);
      after.addAll(collect(w, 2_500));
      List<Long> ticks = new ArrayList<>();
      before.forEach(t -> ticks.add(t.getLong("tick")));
      after.forEach(t -> ticks.add(t.getLong("tick")));
      int repeated = 0;
      for (int i = 1; i < ticks.size(); i++) {
        if (ticks.get(i).equals(ticks.get(i - 1))) {
          repeated++; // published by the dead runner just before it could record its run count
        } else {
          assertThat(ticks.get(i)).as("tick numbers go on across the takeover: %s", ticks).isEqualTo(ticks.get(i - 1) + 1);
        }
      }
      figures.put("kill -9 of tick1s runner " + runner + " -> first tick run by " + newRunner + " (its 'at' / received)",
          firstRunAt + " / " + takeover + " ms");
      figures.put("kill -9 of tick1s runner -> GET /api/v1/jobs names the new runner", recorded + " ms");
      figures.put("ticks across the takeover (repeated numbers: " + repeated + ")", ticks.toString());
      assertThat(takeover).as("takeover within 10 s").isLessThan(10_000);
      assertThat(repeated).isLessThanOrEqualTo(1);
    }
    // a replacement, so the outbox test has three nodes again
    NodeProcess d = cluster.launch("d", 3, env);
    d.awaitReady(90_000);
    live.put("n-d", d);
    for (NodeProcess n : live.values()) {
      await("3 members seen by " + n.label, 30_000, () -> n.metric("pulse_cluster_members") == 3);
    }
  }

  /**
   * The outbox is polled by one node: 2,000 rows inserted through the TCP server while the poller is
   * killed (SIGKILL) half-way; subscribers on every node, the one whose node died reconnecting with
   * {@code since}, get every row exactly once. Rows are told apart by their payload ({@code seq}): a row
   * the dead poller published but had not deleted is published again by the next poller with the same
   * idempotency key (its row id), which answers the first offset and delivers nothing, also when the
   * poller died between storing the message and recording its key (the ring's tagged record settles it).
   */
  @Test
  @Order(4)
  void theOutboxIsPolledByOneNodeAndAKilledPollerLosesNoRow() throws Exception {
    await("one poller", 15_000, () -> live.values().stream().filter(n -> n.metric("pulse_outbox_runner") == 1).count() == 1);
    NodeProcess poller = live.values().stream().filter(n -> n.metric("pulse_outbox_runner") == 1).findFirst().orElseThrow();
    String pollerId = "n-" + poller.label;
    Map<String, WsClient> subs = new LinkedHashMap<>();
    Map<String, List<JsonObject>> got = new LinkedHashMap<>();
    String epoch = null;
    for (Map.Entry<String, NodeProcess> e : live.entrySet()) {
      WsClient w = WsClient.open(clients, e.getValue().ws(cluster.token("outbox-" + e.getKey())));
      JsonObject subscribed = w.subscribe("outbox/feed");
      assertThat(subscribed.getString("type")).isEqualTo("subscribed");
      epoch = subscribed.getString("epoch");
      subs.put(e.getKey(), w);
      got.put(e.getKey(), new ArrayList<>());
    }
    AtomicInteger written = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> {
      try (Connection c = db.connect();
           PreparedStatement p = c.prepareStatement("INSERT INTO pulse_outbox (app_id, channel, payload) VALUES (?, ?, ?)")) {
        while (written.get() < ROWS && writing.get()) {
          for (int i = 0; i < 20; i++) {
            int seq = written.get() + 1;
            p.setString(1, APP);
            p.setString(2, "outbox/feed");
            p.setString(3, "{\"seq\":" + seq + "}");
            p.executeUpdate();
            written.set(seq);
          }
          Thread.sleep(20);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "outbox-writer");
    writer.start();
    try {
      // kill the poller half-way: some rows published, more to come
      String watcherId = subs.keySet().stream().filter(k -> !k.equals(pollerId)).findFirst().orElseThrow();
      long end = System.currentTimeMillis() + 30_000;
      while (got.get(watcherId).size() < ROWS * 3 / 10) {
        assertThat(System.currentTimeMillis()).as("rows published before the kill").isLessThan(end);
        drainInto(subs.get(watcherId), got.get(watcherId), 200);
      }
      int writtenAtKill = written.get();
      long tableAtKill = db.count("pulse_outbox");
      long killed = System.nanoTime();
      poller.kill();
      live.remove(pollerId);
      figures.put("outbox: poller " + pollerId + " killed with rows written / still in the table / received by "
          + watcherId, writtenAtKill + " / " + tableAtKill + " / " + got.get(watcherId).size());
      assertThat(got.get(watcherId).size()).as("killed half-way").isLessThan(ROWS);

      // the subscriber on the dead node: what it got, then reconnect to a survivor with since
      WsClient orphan = subs.remove(pollerId);
      List<JsonObject> orphanGot = got.get(pollerId);
      await("socket on the dead node closes", 10_000, () -> {
        drainInto(orphan, orphanGot, 0);
        return orphan.isClosed();
      });
      drainInto(orphan, orphanGot, 0);
      orphan.close();
      long lastOffset = orphanGot.isEmpty() ? 0 : orphanGot.get(orphanGot.size() - 1).getLong("offset");
      NodeProcess refuge = live.values().iterator().next();
      WsClient moved = WsClient.open(clients, refuge.ws(cluster.token("outbox-moved")));
      JsonObject since = new JsonObject().put("offset", lastOffset);
      if (epoch != null) {
        since.put("epoch", epoch);
      }
      JsonObject sub = moved.request(new JsonObject().put("type", "subscribe").put("channel", "outbox/feed").put("since", since));
      assertThat(sub.getString("type")).as("%s", sub).isEqualTo("subscribed");
      assertThat(sub.getBoolean("recovered")).as("recovered: %s", sub).isTrue();
      subs.put(pollerId, moved);

      await("another node polls", 15_000, () -> live.values().stream().anyMatch(n -> n.metric("pulse_outbox_runner") == 1));
      figures.put("outbox: kill -9 of the poller -> another node polls (pulse_outbox_runner)", ms(System.nanoTime() - killed) + " ms");
      writer.join(30_000);
      assertThat(written.get()).isEqualTo(ROWS);

      // every subscriber: every row, by payload
      for (Map.Entry<String, WsClient> e : subs.entrySet()) {
        List<JsonObject> list = got.get(e.getKey());
        long deadline = System.currentTimeMillis() + 30_000;
        while (distinct(list) < ROWS) {
          assertThat(System.currentTimeMillis()).as("subscriber %s: %d of %d rows", e.getKey(), distinct(list), ROWS).isLessThan(deadline);
          drainInto(e.getValue(), list, 200);
        }
        drainInto(e.getValue(), list, 500); // late duplicates
      }
      long drained = ms(System.nanoTime() - killed);
      figures.put("outbox: kill -9 of the poller -> every subscriber has all " + ROWS + " rows", drained + " ms");
      assertThat(db.count("pulse_outbox")).as("table drained").isZero();
      double repeats = 0;
      for (NodeProcess n : live.values()) {
        repeats += n.metric("pulse_idempotent_repeats_total");
      }
      figures.put("outbox: rows the dead poller had published, published again by the next one and answered as repeats"
          + " (pulse_idempotent_repeats_total)", Long.toString(Math.round(repeats)));
      for (Map.Entry<String, List<JsonObject>> e : got.entrySet()) {
        TreeMap<Long, Integer> copies = new TreeMap<>();
        List<Long> offsets = new ArrayList<>();
        for (JsonObject f : e.getValue()) {
          copies.merge(f.getJsonObject("data").getLong("seq"), 1, Integer::sum);
          offsets.add(f.getLong("offset"));
        }
        List<Long> dups = copies.entrySet().stream().filter(x -> x.getValue() > 1).map(Map.Entry::getKey).toList();
        figures.put("outbox: subscriber on " + e.getKey() + (e.getKey().equals(pollerId) ? " (moved)" : "")
            + ": messages / distinct rows / rows delivered twice", e.getValue().size() + " / " + copies.size() + " / "
            + dups.size() + (dups.isEmpty() ? "" : " (seq " + dups.get(0) + ".." + dups.get(dups.size() - 1) + ")"));
        assertThat(copies.keySet()).as("every row on %s", e.getKey()).hasSize(ROWS);
        assertThat(copies.firstKey()).isEqualTo(1L);
        assertThat(copies.lastKey()).isEqualTo((long) ROWS);
        assertThat(dups).as("rows delivered twice on %s", e.getKey()).isEmpty();
        // offsets: each message once, in order, no gap (recovery and the sequencer)
        for (int i = 1; i < offsets.size(); i++) {
          assertThat(offsets.get(i)).as("offsets on %s", e.getKey()).isEqualTo(offsets.get(i - 1) + 1);
        }
      }
    } finally {
      writing.set(false);
      subs.values().forEach(WsClient::close);
    }
  }

  // ---- helpers ----

  static NodeProcess any() {
    return live.values().iterator().next();
  }

  static NodeProcess other(String nodeId) {
    return live.entrySet().stream().filter(e -> !e.getKey().equals(nodeId)).findFirst().orElseThrow().getValue();
  }

  static JsonObject job(NodeProcess n, String name) {
    Http.Response r = Http.get(n.http() + "/api/v1/jobs", ClusterFixture.API_KEY);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("jobs").stream().map(o -> (JsonObject) o).filter(j -> name.equals(j.getString("name")))
        .findFirst().orElseThrow();
  }

  /** The runner recorded in the job's state, once it is a live node. */
  static String awaitRunner(String name) {
    String[] runner = new String[1];
    await("a live runner for " + name, 20_000, () -> live.containsKey(runner[0] = job(any(), name).getString("runner")));
    return runner[0];
  }

  /** How often the trigger job's SQL ran, cluster-wide. */
  static long sequence() {
    return db.sequenceUses("trig_runs");
  }

  /** A sample with {@code job="…"} (summed over other labels, e.g. outcome); 0 when absent. */
  static double counter(NodeProcess n, String name, String job) {
    double sum = 0;
    for (String line : Http.get(n.http() + "/metrics", null).body().split("\n")) {
      if (line.startsWith(name + "{") && line.contains("job=\"" + job + "\"")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  static double gauge(NodeProcess n, String name, String job) {
    return counter(n, name, job);
  }

  /** The data of the message frames that arrive within {@code millis}. */
  static List<JsonObject> collect(WsClient w, long millis) {
    return w.drain(millis).stream().filter(f -> "message".equals(f.getString("type"))).map(f -> f.getJsonObject("data")).toList();
  }

  static void drainInto(WsClient w, List<JsonObject> into, long millis) {
    for (JsonObject f : w.drain(millis)) {
      if ("message".equals(f.getString("type"))) {
        into.add(f);
      }
    }
  }

  static long distinct(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getJsonObject("data").getLong("seq")).distinct().count();
  }

  static void await(String what, long millis, BooleanSupplier condition) {
    long end = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("timed out waiting: " + what);
      }
      ClusterFixture.sleep(50);
    }
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
