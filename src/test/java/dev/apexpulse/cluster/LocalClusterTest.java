package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 1: a local cluster just works. Three clustered node processes started in one working
 * directory with no database settings all become ready and share the default embedded database; and a
 * node whose database is unreachable still serves sockets and publishes.
 */
@Timeout(240)
class LocalClusterTest {

  @Test
  void threeNodesInOneDirectoryWithTheDefaultDatabaseAllBecomeReadyAndShareIt() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "local-trio", Long.toString(System.nanoTime(), 36)).toAbsolutePath());
    ClusterFixture cluster = new ClusterFixture(3);
    Vertx clients = Vertx.vertx();
    List<WsClient> subscribers = new ArrayList<>();
    try {
      Map<String, String> noDbSettings = new HashMap<>();
      noDbSettings.put("PULSE_DB_URL", null); // the default of conf/pulse.yaml: ./data/pulse
      noDbSettings.put("PULSE_OUTBOX_INTERVAL_MILLIS", "50");
      List<NodeProcess> nodes = List.of(
          cluster.launch("a", 0, noDbSettings, dir), cluster.launch("b", 1, noDbSettings, dir), cluster.launch("c", 2, noDbSettings, dir));
      for (NodeProcess n : nodes) {
        n.awaitReady(120_000);
      }
      for (NodeProcess n : nodes) {
        ClusterTest.await("3 members seen by " + n.label, 60_000, () -> n.metric("pulse_cluster_members") == 3);
        JsonObject health = Http.get(n.http() + "/health/ready", null).json();
        assertThat(health.getString("db")).as("node %s: %s", n.label, health).isEqualTo("UP");
      }
      assertThat(dir.resolve("data/pulse.mv.db")).exists();

      // one database: a row written to the file reaches the subscribers of every node exactly once
      for (NodeProcess n : nodes) {
        WsClient w = WsClient.open(clients, n.ws(cluster.token("u-" + n.label)));
        assertThat(w.subscribe("local/outbox").getString("type")).isEqualTo("subscribed");
        subscribers.add(w);
      }
      try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("data/pulse") + ";AUTO_SERVER=TRUE", "", "");
           PreparedStatement ps = c.prepareStatement("insert into pulse_outbox (app_id, channel, payload) values ('100', 'local/outbox', ?)")) {
        ps.setString(1, "{\"row\":1}");
        ps.executeUpdate();
      }
      for (WsClient w : subscribers) {
        JsonObject m = w.next("message");
        assertThat(m.getJsonObject("data").getInteger("row")).isEqualTo(1);
        assertThat(w.drain(500)).noneMatch(f -> "message".equals(f.getString("type")));
      }
    } finally {
      subscribers.forEach(WsClient::close);
      clients.close().await();
      cluster.closeAll();
    }
  }

  @Test
  void aNodeWhoseDatabaseIsUnreachableStillServes() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort(); // nothing listens there once closed
    }
    JsonObject config = TestNode.config().put("db", new JsonObject()
        .put("url", "jdbc:h2:tcp://127.0.0.1:" + closed + "/nowhere").put("queryTimeoutSeconds", 2));
    Vertx clients = Vertx.vertx();
    try (TestNode node = TestNode.start(config);
         WsClient w = WsClient.open(clients, node.wsUrl("token=" + node.token("u")))) {
      assertThat(w.subscribe("db/down").getString("type")).isEqualTo("subscribed");
      Http.Response r = Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
          new JsonObject().put("channel", "db/down").put("data", new JsonObject().put("x", 1)).encode());
      assertThat(r.status()).isEqualTo(200);
      assertThat(w.next("message").getJsonObject("data").getInteger("x")).isEqualTo(1);
      assertThat(Http.get(node.httpBase() + "/health/ready", null).json().getString("db")).isEqualTo("DOWN");
    } finally {
      clients.close().await(10, TimeUnit.SECONDS);
    }
  }
}
