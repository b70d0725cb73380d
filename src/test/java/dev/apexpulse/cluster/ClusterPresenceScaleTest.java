package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.PresenceAtScale;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * 5,000 connections of one user, and 5,000 distinct users, on one channel of a real 3-node cluster
 * (separate JVMs, Hazelcast on loopback), spread round-robin over the nodes: presence counts them on
 * every node, the user joins once and leaves once cluster-wide, and publishing at 10 msg/s on one
 * node loses nothing on any. Before issue 19 all of one user's connections shared one Hazelcast
 * entry rewritten on every subscribe, and such a crowd ground a node to a halt.
 */
@Timeout(400)
class ClusterPresenceScaleTest {
  static final int CONNECTIONS = 5000;
  static final String QUIET_API_KEY = "other-api-key-0123456789";
  static ClusterFixture cluster;
  static final List<NodeProcess> nodes = new ArrayList<>();
  static Vertx clients;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture(3);
    try {
      // app 200 without presence events: with them every distinct user's join is a frame to each
      // subscriber already there (12.5 million for 5,000 users)
      Map<String, String> env = Map.of("PULSE_APP_" + TestNode.OTHER_APP + "_SECRET", TestNode.OTHER_SECRET,
          "PULSE_APP_" + TestNode.OTHER_APP + "_API_KEY", QUIET_API_KEY,
          "PULSE_APP_" + TestNode.OTHER_APP + "_PRESENCE_EVENTS", "false");
      for (int i = 0; i < 3; i++) {
        nodes.add(cluster.launch("scale" + i, i, env));
      }
      for (NodeProcess n : nodes) {
        n.awaitReady(120_000);
      }
      for (NodeProcess n : nodes) {
        Await.until("3 members seen by " + n.label, 30_000, () -> n.metric("pulse_cluster_members") == 3);
      }
      clients = Vertx.vertx();
    } catch (Throwable t) {
      stop();
      throw t;
    }
  }

  @AfterAll
  static void stop() {
    if (clients != null) {
      clients.close().await();
    }
    if (cluster != null) {
      cluster.closeAll();
    }
  }

  static int[] ports() {
    return nodes.stream().mapToInt(n -> n.httpPort).toArray();
  }

  @Test
  void fiveThousandConnectionsOfOneUser() {
    new PresenceAtScale(clients, ports()).oneUser(TestNode.APP, ClusterFixture.JWT, ClusterFixture.API_KEY, "scale/wall", CONNECTIONS);
  }

  @Test
  void fiveThousandDistinctUsers() {
    new PresenceAtScale(clients, ports()).distinctUsers(TestNode.OTHER_APP, new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET),
        QUIET_API_KEY, "scale/users", CONNECTIONS);
  }
}
