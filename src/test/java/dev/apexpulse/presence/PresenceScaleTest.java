package dev.apexpulse.presence;

import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.PresenceAtScale;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 5,000 connections of one user, and 5,000 distinct users, on one channel of one node: presence
 * counts them and each join stays constant work (issue 19), publishing at 10 msg/s loses nothing.
 * The cluster's counterpart is {@code ClusterPresenceScaleTest}.
 */
@Timeout(300)
class PresenceScaleTest {
  static final int CONNECTIONS = 5000;
  static TestNode node;
  static Vertx clients;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    // app 100 keeps presence events (one join, one leave for the wall); app 200 has them off: with
    // them every distinct user's join is a frame to each subscriber already there (12.5 million)
    config.getJsonObject("apps").getJsonObject(TestNode.OTHER_APP).put("presenceEvents", false);
    node = TestNode.start(config);
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (clients != null) {
      clients.close().await();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void fiveThousandConnectionsOfOneUser() {
    new PresenceAtScale(clients, node.port()).oneUser(TestNode.APP, node.jwt, TestNode.API_KEY, "scale/wall", CONNECTIONS);
  }

  @Test
  void fiveThousandDistinctUsers() {
    new PresenceAtScale(clients, node.port()).distinctUsers(TestNode.OTHER_APP, new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET),
        "other-api-key-0123456789", "scale/users", CONNECTIONS);
  }
}
