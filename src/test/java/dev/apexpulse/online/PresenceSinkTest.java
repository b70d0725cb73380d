package dev.apexpulse.online;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TcpProxy;
import dev.apexpulse.support.TestDb;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The presence sink on a real node and a real H2 database: pulse_online follows who is subscribed
 * (rows on the first connection of a user, gone with the last), and with the database down the node
 * keeps serving, counts what it drops and rebuilds its rows when the database is back.
 */
@Timeout(90)
class PresenceSinkTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  static JsonObject config(TestDb db, String nodeId) {
    return config(db.nodeConfig(), nodeId);
  }

  static JsonObject config(JsonObject dbConfig, String nodeId) {
    return dbConfig
        .put("node", new JsonObject().put("id", nodeId))
        .put("presence", new JsonObject().put("sink", new JsonObject()
            .put("enabled", true).put("flushMillis", 50).put("nodeTimeoutSeconds", 2)));
  }

  /** The rows of pulse_online (none while the sink has not created the table yet). */
  static List<List<Object>> online(TestDb db) {
    try {
      return db.rows("SELECT app_id, channel, user_name, node_id FROM pulse_online ORDER BY channel, user_name");
    } catch (IllegalStateException e) {
      if (String.valueOf(e.getMessage()).contains("not found")) {
        return List.of();
      }
      throw e;
    }
  }

  @Test
  void rowsAppearOnTheFirstConnectionOfAUserAndGoWithTheLast() {
    try (TestDb db = TestDb.memory("sink");
         TestNode node = TestNode.start(config(db, "n-sink"));
         WsClient scott1 = WsClient.open(vertx, node.wsUrl("token=" + node.token("SCOTT")));
         WsClient scott2 = WsClient.open(vertx, node.wsUrl("token=" + node.token("SCOTT")));
         WsClient jane = WsClient.open(vertx, node.wsUrl("token=" + node.token("JANE")));
         WsClient anonymous = WsClient.open(vertx, node.wsUrl("app=" + TestNode.APP))) {
      scott1.subscribe("site/online");
      scott2.subscribe("site/online");
      jane.subscribe("site/online");
      jane.subscribe("user/JANE");
      anonymous.subscribe("public/news");
      Await.until("three rows", 10_000, () -> online(db).size() == 3);
      assertThat(online(db)).containsExactly(
          List.of("100", "site/online", "JANE", "n-sink"),
          List.of("100", "site/online", "SCOTT", "n-sink"),
          List.of("100", "user/JANE", "JANE", "n-sink"));
      assertThat(db.rows("SELECT COUNT(*) FROM pulse_online WHERE since IS NULL").get(0).get(0)).isEqualTo(0L);

      scott1.close();
      jane.request(new JsonObject().put("type", "unsubscribe").put("id", 99).put("channel", "user/JANE"));
      Await.until("JANE's user channel gone, SCOTT still there (second tab)", 10_000, () -> online(db).equals(List.of(
          List.of("100", "site/online", "JANE", "n-sink"),
          List.of("100", "site/online", "SCOTT", "n-sink"))));
      scott2.close();
      jane.close();
      Await.until("no rows left", 10_000, () -> online(db).isEmpty());
      assertThat(db.rows("SELECT node_id FROM pulse_online_node")).containsExactly(List.of("n-sink"));
    }
  }

  @Test
  void aStoppingNodeRemovesItsRowsAndHeartbeat() {
    try (TestDb db = TestDb.memory("sinkstop")) {
      TestNode node = TestNode.start(config(db, "n-stop"));
      try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("SCOTT")))) {
        c.subscribe("site/online");
        Await.until("a row", 10_000, () -> online(db).size() == 1);
      } finally {
        node.close();
      }
      assertThat(online(db)).isEmpty();
      assertThat(db.count("pulse_online_node")).isZero();
    }
  }

  @Test
  void withTheDatabaseDownTheNodeKeepsServingCountsWhatItDropsAndRebuildsItsRowsAfterwards() throws Exception {
    try (TestDb db = TestDb.served("sinkdown");
         TcpProxy proxy = TcpProxy.start(vertx, db.address());
         TestNode node = TestNode.start(config(db.nodeConfig(db.urlVia(proxy.port())), "n-down"));
         WsClient before = WsClient.open(vertx, node.wsUrl("token=" + node.token("BEFORE")))) {
      before.subscribe("site/online");
      Await.until("a row", 10_000, () -> online(db).size() == 1);

      proxy.cut();
      // the sockets do not wait for the database: subscriptions, publishes and leaves go on
      try (WsClient during = WsClient.open(vertx, node.wsUrl("token=" + node.token("DURING")))) {
        for (int i = 0; i < 20; i++) {
          assertThat(during.subscribe("room/" + i).getString("type")).isEqualTo("subscribed");
        }
        assertThat(during.publish("room/1", new JsonObject().put("x", 1)).getString("type")).isEqualTo("ack");
        Await.until("the sink counts the changes it could not write", 10_000, () -> metric(node, "pulse_presence_sink_dropped_total") >= 20);
      }
      try (WsClient after = WsClient.open(vertx, node.wsUrl("token=" + node.token("AFTER")))) {
        after.subscribe("site/online");
        before.close();
        proxy.restore();
        Await.until("the rows rebuilt from memory: AFTER only", 15_000, () -> online(db).equals(List.of(
            List.of("100", "site/online", "AFTER", "n-down"))));
        assertThat(metric(node, "pulse_presence_sink_failures_total")).isPositive();
      }
    }
  }

  @Test
  void moreChangesThanTheQueueHoldsAreDroppedCountedAndRebuilt() {
    try (TestDb db = TestDb.memory("sinkfull")) {
      JsonObject cfg = config(db, "n-full");
      cfg.getJsonObject("presence").getJsonObject("sink").put("flushMillis", 1500).put("maxPending", 2);
      try (TestNode node = TestNode.start(cfg);
           WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("SCOTT")))) {
        c.subscribe("room/0");
        Await.until("the first write is done", 15_000, () -> online(db).size() == 1);
        // ten changes between two writes, two fit in the queue
        for (int i = 1; i <= 10; i++) {
          c.subscribe("room/" + i);
        }
        Await.until("all eleven rows, rebuilt from memory", 15_000, () -> online(db).size() == 11);
        assertThat(metric(node, "pulse_presence_sink_dropped_total")).isPositive();
        assertThat(metric(node, "pulse_presence_sink_failures_total")).isZero();
      }
    }
  }

  static double metric(TestNode node, String name) {
    for (String line : Http.get(node.httpBase() + "/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }

  @Test
  void theSinkNeedsADatabase() {
    JsonObject cfg = TestNode.config().put("db", new JsonObject().put("url", ""))
        .put("presence", new JsonObject().put("sink", new JsonObject().put("enabled", true)));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.apexpulse.config.PulseConfig.from(cfg))
        .hasMessageContaining("presence.sink.enabled").hasMessageContaining("db.url");
  }
}
