package dev.apexpulse.schedule;

import dev.apexpulse.support.DatabaseUnderTest;
import dev.apexpulse.support.OnEachDatabase;
import dev.apexpulse.support.TestDatabase;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import dev.apexpulse.support.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trigger}: a job run on demand, on its runner, coalesced and rate limited; on each database. */
@OnEachDatabase
@Timeout(120)
record TriggerTest(DatabaseUnderTest database) {
  static TestDatabase db;
  static TestNode node;
  static Vertx vertx;

  @BeforeParameterizedClassInvocation
  static void start(DatabaseUnderTest database) {
    if (database.missing() != null) {
      return; // its tests are skipped (OnEachDatabase)
    }
    db = database.open("trig");
    db.exec(db.createSequence("order_stats_runs"), "CREATE TABLE orders(id INT PRIMARY KEY)",
        "INSERT INTO orders VALUES (1)", "INSERT INTO orders VALUES (2)", "INSERT INTO orders VALUES (3)");
    JsonArray jobs = new JsonArray()
        // the sequence counts how often the SQL really ran
        .add(new JsonObject().put("name", "order-stats").put("app", TestNode.APP).put("channel", "dashboard/orders")
            .put("every", "1h").put("triggerable", true).put("minIntervalMillis", 2000)
            .put("sql", db.select("(SELECT COUNT(*) FROM orders) AS orders, " + db.nextValue("order_stats_runs") + " AS run")))
        .add(new JsonObject().put("name", "nightly").put("app", TestNode.APP).put("channel", "reports/nightly")
            .put("cron", "0 0 2 * * *"));
    JsonObject config = db.nodeConfig().put("jobs", jobs);
    config.put("limits", new JsonObject().put("maxConnections", 2000).put("triggerRate", 10).put("triggerBurst", 10));
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (node != null) {
      node.close();
      vertx.close();
      node = null;
    }
    if (db != null) {
      db.close();
      db = null;
    }
  }

  private static long sqlRuns() {
    return db.sequenceUses("order_stats_runs");
  }

  private static String token(JsonArray trig) {
    return node.jwt.hs256(node.jwt.claims("viewer", 600).put("sub_ch", new JsonArray().add("**")).put("trig", trig));
  }

  @Test
  void fiveThousandTriggersFromFiveHundredPagesRunTheSqlAtMostTwiceAndEveryoneGetsTheResult() throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(1000));
    String token = token(new JsonArray().add("order-*"));
    int pages = 500;
    CountDownLatch subscribed = new CountDownLatch(pages);
    CountDownLatch gotResult = new CountDownLatch(pages);
    AtomicInteger acks = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<WebSocket> sockets = new ArrayList<>();
    long before = sqlRuns();
    for (int i = 0; i < pages; i++) {
      boolean[] seen = {false};
      sockets.add(client.connect(new WebSocketConnectOptions().setAbsoluteURI(node.wsUrl("token=" + token)).setAllowOriginHeader(false))
          .map(ws -> {
            ws.textMessageHandler(text -> {
              JsonObject f = new JsonObject(text);
              switch (f.getString("type")) {
                case "subscribed" -> subscribed.countDown();
                case "message" -> {
                  if (!seen[0] && f.getJsonObject("data").getJsonArray("rows").getJsonObject(0).getLong("orders") == 3) {
                    seen[0] = true;
                    gotResult.countDown();
                  }
                }
                case "ack" -> acks.incrementAndGet();
                case "error" -> errors.incrementAndGet();
                default -> { }
              }
            });
            ws.writeTextMessage("{\"type\":\"subscribe\",\"channel\":\"dashboard/orders\"}");
            return ws;
          }).await(10, TimeUnit.SECONDS));
    }
    assertThat(subscribed.await(30, TimeUnit.SECONDS)).isTrue();
    long started = System.nanoTime();
    for (int round = 0; round < 10; round++) {
      for (WebSocket ws : sockets) {
        ws.writeTextMessage("{\"type\":\"trigger\",\"id\":" + round + ",\"job\":\"order-stats\"}");
      }
    }
    System.out.printf("triggers: 5000 sent in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    assertThat(gotResult.await(30, TimeUnit.SECONDS)).as("every page got the result").isTrue();
    long deadline = System.currentTimeMillis() + 20_000;
    while (acks.get() < 5000 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(errors.get()).isZero();
    assertThat(acks.get()).isEqualTo(5000);
    assertThat(sqlRuns() - before).isBetween(1L, 2L);
    Future.all(sockets.stream().map(WebSocket::close).toList()).await(10, TimeUnit.SECONDS);
    client.close();
  }

  @Test
  void triggersNeedTheGrantATriggerableJobAndAreRateLimited() {
    try (WsClient none = WsClient.open(vertx, node.wsUrl("token=" + token(new JsonArray())))) {
      assertThat(none.request(new JsonObject().put("type", "trigger").put("job", "order-stats")).getString("code")).isEqualTo("forbidden");
    }
    try (WsClient all = WsClient.open(vertx, node.wsUrl("token=" + token(new JsonArray().add("*"))))) {
      assertThat(all.request(new JsonObject().put("type", "trigger").put("job", "nightly")).getString("code")).isEqualTo("forbidden");
      assertThat(all.request(new JsonObject().put("type", "trigger").put("job", "missing")).getString("code")).isEqualTo("not_found");
      assertThat(all.request(new JsonObject().put("type", "trigger").put("job", 7)).getString("code")).isEqualTo("bad_request");
      for (int i = 0; i < 15; i++) {
        all.send(new JsonObject().put("type", "trigger").put("id", 100 + i).put("job", "order-stats"));
      }
      int limited = 0;
      for (int i = 0; i < 15; i++) {
        JsonObject reply = all.replyTo(100 + i);
        if ("rate_limited".equals(reply.getString("code"))) {
          limited++;
        } else {
          assertThat(reply.getString("type")).isEqualTo("ack");
        }
      }
      assertThat(limited).isGreaterThan(0);
    }
    try (WsClient anon = WsClient.open(vertx, node.wsUrl("app=100"))) {
      assertThat(anon.request(new JsonObject().put("type", "trigger").put("job", "order-stats")).getString("code")).isEqualTo("forbidden");
    }
  }
}
