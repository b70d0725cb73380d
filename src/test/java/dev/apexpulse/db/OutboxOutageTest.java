package dev.apexpulse.db;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.DatabaseUnderTest;
import dev.apexpulse.support.OnEachDatabase;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TcpProxy;
import dev.apexpulse.support.TestDatabase;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database goes away for 10 s and comes back, on each database: the gateway reaches it through a
 * {@link TcpProxy} on 127.0.0.1 that is cut (every connection breaks, new ones are refused) and
 * restored, while rows keep being committed by the test's own connections. Nothing is lost.
 */
@OnEachDatabase
@ExtendWith(VertxExtension.class)
@Timeout(90)
record OutboxOutageTest(DatabaseUnderTest database) {

  @Test
  void databaseDownForTenSecondsLosesNothing() throws Exception {
    Vertx vertx = Vertx.vertx();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger written = new AtomicInteger();
    try (TestDatabase db = database.openServed("outage");
         TcpProxy proxy = TcpProxy.start(vertx, db.address());
         TestNode node = TestNode.start(db.nodeConfig(db.urlVia(proxy.port())));
         WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
      c.subscribe("outage/feed");
      Thread writer = new Thread(() -> {
        while (writing.get()) {
          int seq = written.get() + 1;
          db.outbox(TestNode.APP, "outage/feed", "{\"seq\":" + seq + "}");
          written.set(seq);
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "outbox-writer");
      writer.start();
      try {
        List<Integer> got = new ArrayList<>();
        collectUntil(c, got, () -> got.size() >= 50);

        proxy.cut();
        long down = System.currentTimeMillis();
        System.out.println(database + " cut off with " + written.get() + " rows written, " + got.size() + " received");
        // ready means "can serve sockets": the outage is reported, the node stays in the load balancer
        Await.until("readiness reports the database down", 5000,
            () -> "DOWN".equals(Http.get(node.httpBase() + "/health/ready", null).json().getString("db")));
        assertThat(Http.get(node.httpBase() + "/health/ready", null).status()).isEqualTo(200);
        try (WsClient late = WsClient.open(vertx, node.wsUrl("token=" + node.token("late")))) {
          assertThat(late.subscribe("outage/other").getString("type")).as("a new socket while the database is down")
              .isEqualTo("subscribed");
        }
        Await.until("the metrics show the database down and the poller backing off", 5000, () -> {
          String metrics = Http.get(node.httpBase() + "/metrics", null).body();
          return metrics.contains("pulse_db_up 0.0") && metrics.contains("pulse_outbox_polling 0.0");
        });
        collectUntil(c, got, () -> System.currentTimeMillis() - down >= 10_000);
        int beforeRestart = got.size();
        int writtenWhileDown = written.get() - beforeRestart;

        proxy.restore();
        long up = System.currentTimeMillis();
        collectUntil(c, got, () -> got.size() > beforeRestart);
        long resumed = System.currentTimeMillis() - up;
        Thread.sleep(1000);
        writing.set(false);
        writer.join();
        int total = written.get();
        collectUntil(c, got, () -> new LinkedHashSet<>(got).size() >= total);
        System.out.printf("outage (%s): %d rows written (%d during the 10 s outage), all %d received; %d delivered twice;"
                + " delivery resumed %d ms after the restart%n", database, total, writtenWhileDown, total,
            got.size() - new LinkedHashSet<>(got).size(), resumed);

        Set<Integer> distinct = new LinkedHashSet<>(got);
        assertThat(distinct).hasSize(total);
        assertThat(List.copyOf(distinct)).as("in commit order").isSorted();
        assertThat(got.size() - distinct.size()).as("duplicates (a publish whose delete failed is not repeated)").isZero();
        Await.until("outbox empty", 5000, () -> db.count("pulse_outbox") == 0);
        Await.until("the database reported up again", 5000,
            () -> "UP".equals(Http.get(node.httpBase() + "/health/ready", null).json().getString("db")));
        assertThat(db.count("pulse_outbox_dead")).isZero();
      } finally {
        writing.set(false);
        writer.join();
      }
    } finally {
      vertx.close();
    }
  }

  /** The old behaviour, kept as an opt-in: {@code db.readiness: true} takes a node out while its database is down. */
  @Test
  void readinessOptInTurnsNotReadyWhileTheDatabaseIsDown() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestDatabase db = database.openServed("readiness");
         TcpProxy proxy = TcpProxy.start(vertx, db.address())) {
      JsonObject config = db.nodeConfig(db.urlVia(proxy.port()));
      config.getJsonObject("db").put("readiness", true);
      try (TestNode node = TestNode.start(config)) {
        Await.until("ready with the database up", 5000, () -> Http.get(node.httpBase() + "/health/ready", null).status() == 200);
        proxy.cut();
        Await.until("not ready while the database is down", 5000, () -> {
          Http.Response r = Http.get(node.httpBase() + "/health/ready", null);
          return r.status() == 503 && "DOWN".equals(r.json().getString("db"));
        });
        proxy.restore();
        Await.until("ready again", 10_000, () -> Http.get(node.httpBase() + "/health/ready", null).status() == 200);
      }
    } finally {
      vertx.close();
    }
  }

  private static void collectUntil(WsClient c, List<Integer> got, java.util.function.BooleanSupplier done) {
    long end = System.currentTimeMillis() + 30_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("gave up waiting; received " + got.size());
      }
      for (JsonObject f : c.drain(50)) {
        if ("message".equals(f.getString("type"))) {
          got.add(f.getJsonObject("data").getInteger("seq"));
        }
      }
    }
  }
}
