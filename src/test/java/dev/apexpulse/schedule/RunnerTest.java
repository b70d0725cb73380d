package dev.apexpulse.schedule;

import dev.apexpulse.config.JobSettings;
import dev.apexpulse.db.Database;
import dev.apexpulse.db.OutboxDoorbell;
import dev.apexpulse.db.OutboxMetrics;
import dev.apexpulse.db.OutboxVerticle;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.DatabaseUnderTest;
import dev.apexpulse.support.TestDatabase;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One runner at a time: two schedulers and two outbox pollers compete for the same shared-data lock
 * inside one Vert.x instance (standalone, a local lock; clustered, the same code takes Hazelcast's).
 * Only the holder runs; when it is undeployed the other takes over within the lease retry time, and
 * goes on where it stopped. The 3-node cluster version (nodes killed) needs the cluster engines.
 */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class RunnerTest {

  @Test
  void oneOfTwoSchedulersRunsTheJobAndTheOtherTakesOver() throws Exception {
    Vertx client = Vertx.vertx();
    try (TestNode node = TestNode.start()) {
      Vertx vertx = node.node.vertx();
      JsonArray jobs = new JsonArray().add(new JsonObject().put("name", "shared-tick").put("app", TestNode.APP)
          .put("channel", "runner/tick").put("every", "200ms"));
      List<JobSettings> settings = JobSettings.listFrom(new JsonObject().put("jobs", jobs), node.node.config().apps(), false);
      ScheduleVerticle a = new ScheduleVerticle(node.node.publisher(), "n-a", null, settings, Clock.systemUTC(), node.node.metrics().registry());
      ScheduleVerticle b = new ScheduleVerticle(node.node.publisher(), "n-b", null, settings, Clock.systemUTC(), node.node.metrics().registry());
      try (WsClient c = WsClient.open(client, node.wsUrl("token=" + node.token("reader")))) {
        c.subscribe("runner/tick");
        String idA = vertx.deployVerticle(a).await(10, TimeUnit.SECONDS);
        String idB = vertx.deployVerticle(b).await(10, TimeUnit.SECONDS);
        List<Long> ticks = new ArrayList<>();
        collect(c, ticks, 2000);
        assertThat(ticks).as("about 5 per second in total, not 10").hasSizeBetween(8, 11);
        assertThat(a.runs("shared-tick") ^ b.runs("shared-tick")).as("exactly one runs it").isTrue();
        ScheduleVerticle runner = a.runs("shared-tick") ? a : b;
        ScheduleVerticle other = runner == a ? b : a;
        String expected = runner == a ? "n-a" : "n-b";
        assertThat(describe(other).getString("runner")).as("both nodes list the runner").isEqualTo(expected);

        long stopped = System.nanoTime();
        vertx.undeploy(runner == a ? idA : idB).await(10, TimeUnit.SECONDS);
        Await.until("the other scheduler took over", 5000, () -> other.runs("shared-tick"));
        long takeover = (System.nanoTime() - stopped) / 1_000_000;
        int before = ticks.size();
        collect(c, ticks, 1000);
        assertThat(ticks.size()).isGreaterThan(before);
        System.out.printf("runner: job taken over by the other scheduler %d ms after its runner stopped%n", takeover);
        assertThat(describe(other).getString("runner")).isEqualTo(runner == a ? "n-b" : "n-a");
        for (int i = 1; i < ticks.size(); i++) {
          assertThat(ticks.get(i)).as("the tick counter goes on across the takeover").isEqualTo(ticks.get(i - 1) + 1);
        }
        vertx.undeploy(runner == a ? idB : idA).await(10, TimeUnit.SECONDS);
      }
    } finally {
      client.close();
    }
  }

  private static JsonObject describe(ScheduleVerticle s) throws Exception {
    return s.describe(TestNode.APP).await(5, TimeUnit.SECONDS).getJsonObject(0);
  }

  private static void collect(WsClient c, List<Long> ticks, long millis) {
    for (JsonObject f : c.drain(millis)) {
      if ("message".equals(f.getString("type"))) {
        ticks.add(f.getJsonObject("data").getLong("tick"));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DatabaseUnderTest.class)
  void oneOfTwoOutboxPollersPollsAndHandsOverWithoutDuplicates(DatabaseUnderTest kind) throws Exception {
    int total = 2000;
    Vertx client = Vertx.vertx();
    try (TestDatabase db = kind.open("runners");
         TestNode node = TestNode.start(db.nodeConfig().put("outbox", new JsonObject().put("enabled", false)))) {
      Vertx vertx = node.node.vertx();
      Database database = Database.open(vertx, node.node.config().db(), 100);
      database.migrated().await(10, TimeUnit.SECONDS);
      OutboxMetrics metrics = new OutboxMetrics(node.node.metrics().registry());
      List<OutboxVerticle> pollers = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        OutboxVerticle p = new OutboxVerticle(node.node.publisher(), "n-" + i, database, metrics,
            OutboxDoorbell.forSettings(vertx, database.settings()));
        pollers.add(p);
        ids.add(vertx.deployVerticle(p).await(10, TimeUnit.SECONDS));
      }
      try (WsClient c = WsClient.open(client, node.wsUrl("token=" + node.token("reader")))) {
        c.subscribe("runner/outbox");
        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> {
          try (Connection conn = db.connect();
               PreparedStatement p = conn.prepareStatement("INSERT INTO pulse_outbox (app_id, channel, payload) VALUES (?, ?, ?)")) {
            while (written.get() < total) {
              for (int k = 0; k < 20; k++) {
                int seq = written.incrementAndGet();
                p.setString(1, TestNode.APP);
                p.setString(2, "runner/outbox");
                p.setString(3, "{\"seq\":" + seq + "}");
                p.addBatch();
              }
              p.executeBatch();
              Thread.sleep(10);
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, "outbox-writer");
        writer.start();

        List<Integer> got = new ArrayList<>();
        int handovers = 0;
        long end = System.currentTimeMillis() + 40_000;
        while (new LinkedHashSet<>(got).size() < total && System.currentTimeMillis() < end) {
          for (JsonObject f : c.drain(100)) {
            if ("message".equals(f.getString("type"))) {
              got.add(f.getJsonObject("data").getInteger("seq"));
            }
          }
          assertThat(pollers.stream().filter(OutboxVerticle::runner).count()).as("never two pollers").isLessThanOrEqualTo(1);
          if (handovers < 3 && got.size() > (handovers + 1) * 400) {
            // stop the poller that runs, start a fresh one in its place
            int i = pollers.get(0).runner() ? 0 : 1;
            if (pollers.get(i).runner()) {
              vertx.undeploy(ids.get(i)).await(10, TimeUnit.SECONDS);
              OutboxVerticle fresh = new OutboxVerticle(node.node.publisher(), "n-" + (2 + handovers), database, metrics,
                  OutboxDoorbell.forSettings(vertx, database.settings()));
              pollers.set(i, fresh);
              ids.set(i, vertx.deployVerticle(fresh).await(10, TimeUnit.SECONDS));
              handovers++;
            }
          }
        }
        writer.join();
        assertThat(handovers).isEqualTo(3);
        assertThat(got).as("all rows, once each, in order").hasSize(total).isSorted();
        assertThat(new LinkedHashSet<>(got)).hasSize(total);
        Await.until("outbox empty", 5000, () -> db.count("pulse_outbox") == 0);
      } finally {
        for (String id : ids) {
          vertx.undeploy(id).await(10, TimeUnit.SECONDS);
        }
        database.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      client.close();
    }
  }
}
