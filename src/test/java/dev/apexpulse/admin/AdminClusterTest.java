package dev.apexpulse.admin;

import dev.apexpulse.cluster.ClusterEngines;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's cluster-wide parts with two clustered nodes in this JVM: every node sees every node,
 * connections are listed and disconnected on the node that holds them, the chart sums the nodes.
 */
@Timeout(180)
class AdminClusterTest {
  static final String ADMIN_KEY = AdminApiTest.ADMIN_KEY;
  static TestNode a;
  static TestNode b;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    int base = freePortRange(2);
    String name = "pulse-admin-test-" + Long.toString(System.nanoTime(), 36);
    JsonArray members = new JsonArray().add("127.0.0.1:" + base).add("127.0.0.1:" + (base + 1));
    a = TestNode.start(config("a", name, base, members), new ClusterEngines());
    b = TestNode.start(config("b", name, base + 1, members), new ClusterEngines());
    vertx = Vertx.vertx();
  }

  static JsonObject config(String label, String cluster, int port, JsonArray members) {
    return TestNode.config()
        .put("node", new JsonObject().put("id", "n-" + label))
        .put("admin", new JsonObject().put("key", ADMIN_KEY))
        .put("history", new JsonObject().put("size", 1000))
        .put("cluster", new JsonObject().put("enabled", true).put("name", cluster).put("port", port).put("portCount", 1)
            .put("members", members).put("eventBusHost", "127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  static JsonObject admin(TestNode node, String path) {
    Http.Response r = Http.get(node.httpBase() + "/api/v1/admin" + path, ADMIN_KEY);
    assertThat(r.status()).as(path).isEqualTo(200);
    for (String secret : AdminApiTest.SECRETS) {
      assertThat(r.body()).doesNotContain(secret);
    }
    return r.json();
  }

  static JsonObject adminPost(TestNode node, String path, JsonObject body) {
    Http.Response r = Http.post(node.httpBase() + "/api/v1/admin" + path, ADMIN_KEY, body == null ? "" : body.encode());
    assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
    return r.json();
  }

  @Test
  void everyNodeSeesTheClusterAndActsOnTheNodeThatHoldsASocket() {
    Await.until("b sees both nodes", 10_000, () -> admin(b, "/nodes").getJsonArray("nodes").size() == 2);
    JsonArray nodes = admin(a, "/nodes").getJsonArray("nodes");
    assertThat(nodes.stream().map(n -> ((JsonObject) n).getString("node")).toList()).containsExactly("n-a", "n-b");
    assertThat(nodes.getJsonObject(0).getString("mode")).isEqualTo("clustered");

    List<WsClient> clients = new ArrayList<>();
    try {
      clients.add(WsClient.open(vertx, a.wsUrl("token=" + a.token("zed"))));
      clients.add(WsClient.open(vertx, a.wsUrl("token=" + a.token("zed"))));
      clients.add(WsClient.open(vertx, b.wsUrl("token=" + b.token("zed"))));
      clients.add(WsClient.open(vertx, b.wsUrl("token=" + b.token("yan"))));
      for (WsClient c : clients) {
        assertThat(c.subscribe("cluster/room").getString("type")).isEqualTo("subscribed");
      }
      Await.until("4 connections on b's console", 5000, () -> admin(b, "/overview").getJsonObject("totals").getLong("connections") == 4);
      JsonObject overview = admin(b, "/overview");
      JsonObject room = overview.getJsonArray("apps").getJsonObject(0).getJsonArray("channels").getJsonObject(0);
      assertThat(room.getString("channel")).isEqualTo("cluster/room");
      assertThat(room.getLong("subscribers")).isEqualTo(4L);

      // connections of both nodes, listed from either
      JsonObject list = admin(a, "/connections?app=100");
      assertThat(list.getLong("total")).isEqualTo(4L);
      assertThat(list.getJsonArray("nodes")).hasSize(2);
      assertThat(admin(a, "/connections?node=n-b").getLong("total")).isEqualTo(2L);

      // the chart sums the nodes: 10 published on a, delivered to 4 sockets on two nodes
      for (int i = 0; i < 10; i++) {
        assertThat(clients.get(3).publish("cluster/room", i).getString("type")).isEqualTo("ack");
      }
      Await.until("b's series counts a's and b's deliveries", 5000, () ->
          AdminApiTest.sum(admin(b, "/series").getJsonArray("delivered")) >= 40);
      assertThat(AdminApiTest.sum(admin(a, "/series").getJsonArray("published"))).isGreaterThanOrEqualTo(10L);

      // one socket on a, disconnected from b
      String onA = admin(b, "/connections?node=n-a").getJsonArray("connections").getJsonObject(0).getString("id");
      assertThat(adminPost(b, "/connections/" + onA + "/disconnect", null).getLong("closed")).isEqualTo(1L);
      // a user with sockets on both nodes, disconnected from a: the one left on a and the one on b
      JsonObject user = adminPost(a, "/users/disconnect", new JsonObject().put("app", "100").put("user", "zed"));
      assertThat(user.getLong("closed")).isEqualTo(2L);
      for (int i = 0; i < 3; i++) {
        assertThat(clients.get(i).awaitClose()).isEqualTo((short) 1008);
      }
      assertThat(clients.get(3).isClosed()).isFalse();
      Await.until("1 connection left", 5000, () -> admin(a, "/overview").getJsonObject("totals").getLong("connections") == 1);
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  static int freePortRange(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range");
  }
}
