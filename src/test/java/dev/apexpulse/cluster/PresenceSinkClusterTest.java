package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.TestDb;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The presence sink in a cluster of two node processes sharing one H2 database (served by this JVM
 * over TCP): each node writes its own users to pulse_online, and when one is killed (SIGKILL: no
 * goodbye, its rows stay behind) the survivor removes its rows once its heartbeat is older than
 * {@code presence.sink.nodeTimeoutSeconds}.
 */
@Timeout(150)
class PresenceSinkClusterTest {

  @Test
  void theSurvivorRemovesTheRowsOfAKilledNode() throws Exception {
    ClusterFixture cluster = new ClusterFixture(2);
    Vertx vertx = Vertx.vertx();
    try (TestDb db = TestDb.served("online")) {
      Map<String, String> env = Map.of(
          "PULSE_DB_URL", db.url,
          "PULSE_PRESENCE_SINK_ENABLED", "true",
          "PULSE_PRESENCE_SINK_FLUSH_MILLIS", "50",
          "PULSE_PRESENCE_SINK_NODE_TIMEOUT_SECONDS", "2");
      NodeProcess a = cluster.launch("a", 0, env);
      NodeProcess b = cluster.launch("b", 1, env);
      a.awaitReady(60_000);
      b.awaitReady(60_000);
      try (WsClient alice = WsClient.open(vertx, a.ws(cluster.token("ALICE")));
           WsClient bob = WsClient.open(vertx, b.ws(cluster.token("BOB")))) {
        alice.subscribe("site/online");
        bob.subscribe("site/online");
        bob.subscribe("user/BOB");
        Await.until("each node wrote its user", 20_000, () -> online(db).equals(List.of(
            List.of("site/online", "ALICE", "n-a"), List.of("site/online", "BOB", "n-b"), List.of("user/BOB", "BOB", "n-b"))));

        long killed = System.currentTimeMillis();
        b.kill();
        Await.until("the survivor removed the killed node's rows", 30_000, () -> online(db).equals(List.of(
            List.of("site/online", "ALICE", "n-a"))));
        System.out.printf("presence sink: rows of the killed node removed %d ms after the kill (node timeout 2 s)%n",
            System.currentTimeMillis() - killed);
        assertThat(db.rows("SELECT node_id FROM pulse_online_node")).containsExactly(List.of("n-a"));
      }
    } finally {
      cluster.closeAll();
      vertx.close();
    }
  }

  private static List<List<Object>> online(TestDb db) {
    try {
      return db.rows("SELECT channel, user_name, node_id FROM pulse_online ORDER BY channel, user_name, node_id");
    } catch (IllegalStateException e) {
      return List.of(); // the table is created by the first node's sink
    }
  }
}
