package dev.apexpulse.db;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.LogCapture;
import dev.apexpulse.support.PgTestDb;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The doorbell on a real PostgreSQL: the outbox trigger notifies at commit and the poller, LISTENing,
 * polls at once. The safety-net poll is set to 10 minutes here, so every row that arrives within
 * these tests' limits was fetched because of a notification or a LISTEN (re)connection.
 */
@Timeout(120)
class OutboxDoorbellTest {
  private static final int SAFETY_NET_MILLIS = 600_000;

  private static JsonObject config(PgTestDb db) {
    JsonObject config = db.nodeConfig();
    config.getJsonObject("outbox").put("intervalMillis", 200).put("listenIntervalMillis", SAFETY_NET_MILLIS);
    return config;
  }

  /** A pool of one connection: it opens no new one while the test refuses them. */
  private static JsonObject oneConnection(JsonObject config) {
    config.getJsonObject("db").put("poolSize", 1);
    return config;
  }

  private static boolean listening(TestNode node) {
    return Http.get(node.httpBase() + "/metrics", null).body().contains("pulse_outbox_listening 1.0");
  }

  @Test
  void aCommitRingsTheDoorbellAndTheTriggerIsCreatedOnce() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (PgTestDb db = PgTestDb.create("doorbell");
         TestNode node = TestNode.start(config(db));
         WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
      c.subscribe("bell/one");
      Await.until("the poller listens", 10_000, () -> listening(node));
      for (int i = 1; i <= 3; i++) {
        db.outbox(TestNode.APP, "bell/one", "{\"n\":" + i + "}");
        assertThat(c.next("message").getJsonObject("data").getInteger("n")).as("row %d, long before the safety net", i).isEqualTo(i);
      }
      // the migration ran at every start and created the statement-level trigger once
      assertThat(db.rows("SELECT tgname, tgtype & 1 FROM pg_trigger WHERE tgrelid = 'pulse_outbox'::regclass"))
          .as("one trigger, FOR EACH STATEMENT (tgtype bit 0 clear)").hasSize(1)
          .first().satisfies(r -> assertThat(r).containsExactly("pulse_outbox_notify", 0));
    } finally {
      vertx.close();
    }
  }

  /**
   * Tables made by hand without the trigger (db.migrate off): listening alone would leave rows to the
   * 10-minute safety net, so the poller says why and polls at intervalMillis; once the trigger exists
   * (found within the doorbell's 10 s check) it listens again.
   */
  @Test
  void withoutTheTriggerThePollerSaysSoAndPollsAtTheIntervalUntilItIsCreated() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (PgTestDb db = PgTestDb.create("doorbell");
         LogCapture logs = LogCapture.install()) {
      List<String> script = SqlScript.resource("db/postgresql.sql");
      String trigger = script.stream().filter(sql -> sql.startsWith("DO")).findFirst().orElseThrow();
      db.exec(script.stream().filter(sql -> !sql.equals(trigger)).toArray(String[]::new));
      JsonObject config = config(db);
      config.getJsonObject("db").put("migrate", false);
      try (TestNode node = TestNode.start(config);
           WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
        c.subscribe("bell/hand");
        Await.until("the warning about the missing trigger", 10_000,
            () -> !logs.lines("has no enabled trigger pulse_outbox_notify").isEmpty());
        assertThat(listening(node)).isFalse();
        db.outbox(TestNode.APP, "bell/hand", "{\"n\":1}");
        assertThat(c.next("message").getJsonObject("data").getInteger("n")).as("found by the interval poll").isEqualTo(1);

        db.exec(trigger);
        Await.until("listening once the trigger exists", 20_000, () -> listening(node));
        db.outbox(TestNode.APP, "bell/hand", "{\"n\":2}");
        assertThat(c.next("message").getJsonObject("data").getInteger("n")).isEqualTo(2);
      }
    } finally {
      vertx.close();
    }
  }

  /** A gateway user that may create tables but does not own pulse_outbox: the migration warns instead of failing. */
  @Test
  void aGatewayUserThatDoesNotOwnTheTableStillMigrates() throws Exception {
    Vertx vertx = Vertx.vertx();
    String other = "pulse_other";
    try (PgTestDb db = PgTestDb.create("doorbell")) {
      List<String> script = SqlScript.resource("db/postgresql.sql");
      db.exec(script.stream().filter(sql -> !sql.startsWith("DO")).toArray(String[]::new));
      try (Connection admin = db.server.admin(db.name); Statement s = admin.createStatement()) {
        s.execute("DROP ROLE IF EXISTS " + other);
        s.execute("CREATE ROLE " + other + " LOGIN PASSWORD '" + db.password + "'");
        s.execute("GRANT USAGE, CREATE ON SCHEMA public TO " + other);
        s.execute("GRANT SELECT, DELETE ON pulse_outbox TO " + other);
        s.execute("GRANT INSERT ON pulse_outbox_dead TO " + other);
      }
      JsonObject config = db.nodeConfig();
      config.getJsonObject("db").put("user", other);
      Database database = Database.open(vertx, PulseConfig.from(config).db(), 100);
      try {
        database.migrated().await(10, TimeUnit.SECONDS);
      } finally {
        database.close().await(10, TimeUnit.SECONDS);
      }
      assertThat(db.count("pg_trigger WHERE tgname = 'pulse_outbox_notify'")).as("not created, not failed").isZero();
      try (Connection admin = db.server.admin(db.name); Statement s = admin.createStatement()) {
        s.execute("DROP OWNED BY " + other);
        s.execute("DROP ROLE " + other);
      }
    } finally {
      vertx.close();
    }
  }

  /**
   * The LISTEN connection is killed (pg_terminate_backend) twice during a burst of single-row
   * commits: the reconnection rings, nothing waits for the 10-minute safety net. Then it is killed
   * once more with new connections refused (the gateway's pool keeps its one connection), and the
   * last rows are committed while the poller cannot listen: no notification reaches it, and the
   * poller, no longer listening, polls every intervalMillis at once instead of finishing its long
   * wait. Every row arrives once, in order.
   */
  @Test
  void killingTheListenConnectionDuringABurstLosesNothing() throws Exception {
    int burst = 600;
    int tail = 5;
    Vertx vertx = Vertx.vertx();
    try (PgTestDb db = PgTestDb.create("doorbell");
         TestNode node = TestNode.start(oneConnection(config(db)));
         WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
      c.subscribe("bell/burst");
      Await.until("the poller listens", 10_000, () -> listening(node));
      List<Integer> got = new ArrayList<>();
      List<Integer> killed = new ArrayList<>();
      AtomicInteger written = new AtomicInteger();
      try (Connection writer = db.connect();
           PreparedStatement insert = writer.prepareStatement("INSERT INTO pulse_outbox (app_id, channel, payload) VALUES (?, 'bell/burst', ?)")) {
        for (int seq = 1; seq <= burst; seq++) {
          insert.setString(1, TestNode.APP);
          insert.setString(2, "{\"seq\":" + seq + "}");
          insert.executeUpdate();
          written.set(seq);
          if (seq == burst / 3 || seq == 2 * burst / 3) {
            killed.add(terminateListener(db));
          }
          if (seq % 20 == 0) {
            drainInto(c, got, 0);
          }
        }
        // the burst is out and the poller waits for the doorbell (or its 10-minute safety net); the last
        // rows are committed while the doorbell cannot reconnect
        awaitAll(c, got, burst);
        Await.until("listening again after the burst", 10_000, () -> listening(node));
        try (Connection admin = db.server.admin("postgres"); Statement s = admin.createStatement()) {
          s.execute("ALTER DATABASE " + db.name + " CONNECTION LIMIT 0");
          try {
            killed.add(terminateListener(db));
            Await.until("the poller noticed it no longer listens", 10_000, () -> !listening(node));
            for (int seq = burst + 1; seq <= burst + tail; seq++) {
              insert.setString(1, TestNode.APP);
              insert.setString(2, "{\"seq\":" + seq + "}");
              insert.executeUpdate();
            }
            awaitAll(c, got, burst + tail);
          } finally {
            s.execute("ALTER DATABASE " + db.name + " CONNECTION LIMIT -1");
          }
        }
      }
      drainInto(c, got, 300); // late duplicates
      System.out.printf("doorbell: LISTEN sessions %s killed; %d rows, %d received%n", killed, burst + tail, got.size());
      assertThat(killed).doesNotHaveDuplicates().hasSize(3);
      assertThat(got).as("every row once, in order").hasSize(burst + tail).isSorted();
      Await.until("listening again", 10_000, () -> listening(node));
      Await.until("the outbox is empty", 5000, () -> db.count("pulse_outbox") == 0);
    } finally {
      vertx.close();
    }
  }

  private static void awaitAll(WsClient c, List<Integer> got, int rows) {
    long end = System.currentTimeMillis() + 30_000;
    while (new LinkedHashSet<>(got).size() < rows) {
      assertThat(System.currentTimeMillis()).as("all rows (%d of %d so far)", new LinkedHashSet<>(got).size(), rows).isLessThan(end);
      drainInto(c, got, 100);
    }
  }

  /** Ends the poller's LISTEN session; returns its pid. */
  private static int terminateListener(PgTestDb db) throws SQLException, InterruptedException {
    try (Connection admin = db.server.admin("postgres"); Statement s = admin.createStatement()) {
      long end = System.currentTimeMillis() + 10_000;
      while (true) {
        try (ResultSet r = s.executeQuery("SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
            + db.name + "' AND application_name = '" + OutboxDoorbell.APPLICATION_NAME + "'")) {
          if (r.next()) {
            assertThat(r.getBoolean(2)).isTrue();
            return r.getInt(1);
          }
        }
        assertThat(System.currentTimeMillis()).as("a LISTEN session to end").isLessThan(end);
        Thread.sleep(20); // reconnecting: wait for the new session
      }
    }
  }

  private static void drainInto(WsClient c, List<Integer> got, long millis) {
    for (JsonObject f : c.drain(millis)) {
      if ("message".equals(f.getString("type"))) {
        got.add(f.getJsonObject("data").getInteger("seq"));
      }
    }
  }
}
