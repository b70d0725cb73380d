package dev.apexpulse.db;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestDb;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database goes away for 10 s and comes back: the gateway reaches it through an H2 TCP server
 * on 127.0.0.1 that is stopped (every connection breaks, new ones are refused) and started again,
 * while rows keep being committed through an embedded connection. Nothing is lost.
 */
@ExtendWith(VertxExtension.class)
@Timeout(90)
class OutboxOutageTest {

  @Test
  void databaseDownForTenSecondsLosesNothing() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists").start();
    Vertx vertx = Vertx.vertx();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger written = new AtomicInteger();
    try (TestDb db = TestDb.overTcp("outage", port);
         TestNode node = TestNode.start(db.nodeConfig());
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

      List<Integer> got = new ArrayList<>();
      collectUntil(c, got, () -> got.size() >= 50);

      server.stop();
      long down = System.currentTimeMillis();
      System.out.println("H2 server stopped with " + written.get() + " rows written, " + got.size() + " received");
      // ready means "can serve sockets": the outage is reported, the node stays in the load balancer
      Await.until("readiness reports the database down", 5000, () -> {
        Http.Response r = Http.get(node.httpBase() + "/health/ready", null);
        return "DOWN".equals(r.json().getString("db"));
      });
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

      server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists").start();
      long up = System.currentTimeMillis();
      collectUntil(c, got, () -> got.size() > beforeRestart);
      long resumed = System.currentTimeMillis() - up;
      Thread.sleep(1000);
      writing.set(false);
      writer.join();
      int total = written.get();
      collectUntil(c, got, () -> new LinkedHashSet<>(got).size() >= total);
      System.out.printf("outage: %d rows written (%d during the 10 s outage), all %d received; %d delivered twice;"
              + " delivery resumed %d ms after the restart%n", total, writtenWhileDown, total,
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
      server.stop();
      vertx.close();
    }
  }

  /** The old behaviour, kept as an opt-in: {@code db.readiness: true} takes a node out while its database is down. */
  @Test
  void readinessOptInTurnsNotReadyWhileTheDatabaseIsDown() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists").start();
    try (TestDb db = TestDb.overTcp("readiness", port);
         TestNode node = TestNode.start(db.nodeConfig().put("db", db.nodeConfig().getJsonObject("db").put("readiness", true)))) {
      Await.until("ready with the database up", 5000, () -> Http.get(node.httpBase() + "/health/ready", null).status() == 200);
      server.stop();
      Await.until("not ready while the database is down", 5000, () -> {
        Http.Response r = Http.get(node.httpBase() + "/health/ready", null);
        return r.status() == 503 && "DOWN".equals(r.json().getString("db"));
      });
      server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists").start();
      Await.until("ready again", 10_000, () -> Http.get(node.httpBase() + "/health/ready", null).status() == 200);
    } finally {
      server.stop();
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
