package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.apexpulse.cluster.ClusterTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 17 on three clustered node processes (configured by PULSE_CONF as in production) and a service
 * member: a cache channel's last value on subscribe on every node, a per-pattern history in Hazelcast,
 * an ephemeral channel across nodes, and idempotency keys over HTTP, the socket and {@code pulse.publish}
 * on any node, also after the node that took the first publish was killed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120)
class ChannelOptionsClusterTest {
  static final String APP = "100";
  static ClusterFixture cluster;
  static NodeProcess a;
  static NodeProcess b;
  static NodeProcess c;
  static Vertx clients;
  static Vertx service;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ClusterFixture(4); // 0 A, 1 B, 2 C, 3 the service member
    Path conf = Path.of("target", "cluster-test", cluster.name + "-channels.yaml");
    Files.createDirectories(conf.getParent());
    Files.writeString(conf, """
        apps:
          "100":
            channels:
              - pattern: "dash/**"
                cache: true
                history: {size: 5}
              - pattern: "typing/**"
                ephemeral: true
        """);
    Map<String, String> env = Map.of("PULSE_CONF", conf.toAbsolutePath().toString());
    try {
      a = cluster.launch("a", 0, env);
      a.awaitReady(90_000);
      b = cluster.launch("b", 1, env);
      c = cluster.launch("c", 2, env);
      b.awaitReady(90_000);
      c.awaitReady(90_000);
      clients = Vertx.vertx();
      service = ClusterTest.joinAsService(cluster, 3);
      for (NodeProcess n : List.of(a, b, c)) {
        await("4 members seen by " + n.label, 30_000, () -> n.metric("pulse_cluster_members") == 4);
      }
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
    if (service != null) {
      try {
        service.close().await(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("service member did not leave cleanly: " + e);
      }
    }
    if (cluster != null) {
      cluster.closeAll();
    }
  }

  static Http.Response post(NodeProcess n, JsonObject body) {
    return Http.post(n.http() + "/api/v1/apps/" + APP + "/publish", ClusterFixture.API_KEY, body.encode());
  }

  static long offset(Http.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("results").getJsonObject(0).getLong("offset");
  }

  static JsonObject history(NodeProcess n, String channel) {
    Http.Response r = Http.get(n.http() + "/api/v1/apps/" + APP + "/history?channel=" + channel, ClusterFixture.API_KEY);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  /** The next message on {@code w} has this offset, then the marker published now (on A): none in between. */
  static void receivesOnly(WsClient w, String channel, long offset) {
    assertThat(w.next("message").getLong("offset")).isEqualTo(offset);
    long marker = offset(post(a, new JsonObject().put("channel", channel).put("data", "marker")));
    assertThat(w.next("message").getLong("offset")).as("nothing between %d and the marker", offset).isEqualTo(marker);
  }

  @Test
  @Order(1)
  void aCacheChannelsLastValueArrivesOnSubscribeOnEveryNode() {
    offset(post(a, new JsonObject().put("channel", "dash/sales").put("data", new JsonObject().put("total", 1))));
    long last = offset(post(b, new JsonObject().put("channel", "dash/sales").put("data", new JsonObject().put("total", 2))));
    for (NodeProcess n : List.of(a, b, c)) {
      try (WsClient w = WsClient.open(clients, n.ws(cluster.token("viewer-" + n.label)))) {
        JsonObject sub = w.subscribe("dash/sales");
        assertThat(sub.getBoolean("cache")).isTrue();
        assertThat(sub.getLong("offset")).isEqualTo(last);
        JsonObject m = w.poll();
        assertThat(m.getString("type")).as("right after subscribed on %s: %s", n.label, m).isEqualTo("message");
        assertThat(m.getLong("offset")).isEqualTo(last);
        assertThat(m.getJsonObject("data").getInteger("total")).isEqualTo(2);
      }
    }
  }

  @Test
  @Order(2)
  void aPatternsHistorySizeIsItsRingsCapacity() {
    for (int i = 1; i <= 8; i++) {
      offset(post(i % 2 == 0 ? a : b, new JsonObject().put("channel", "dash/size").put("data", i)));
      offset(post(a, new JsonObject().put("channel", "plain/size").put("data", i)));
    }
    assertThat(history(c, "dash/size").getJsonArray("messages").stream().map(o -> ((JsonObject) o).getInteger("data")))
        .containsExactly(4, 5, 6, 7, 8);
    assertThat(history(c, "plain/size").getJsonArray("messages")).hasSize(8);
  }

  @Test
  @Order(3)
  void anEphemeralChannelCrossesNodesWithoutOffsetsAndKeepsNothing() {
    try (WsClient onB = WsClient.open(clients, b.ws(cluster.token("tb")));
         WsClient onA = WsClient.open(clients, a.ws(cluster.token("ta")))) {
      assertThat(onB.subscribe("typing/room").getBoolean("ephemeral")).isTrue();
      JsonObject ack = onA.publish("typing/room", new JsonObject().put("typing", true));
      assertThat(ack.getString("type")).isEqualTo("ack");
      assertThat(ack.containsKey("offset")).isFalse();
      JsonObject m = onB.next("message");
      assertThat(m.containsKey("offset")).as("%s", m).isFalse();
      assertThat(m.getString("from")).isEqualTo("ta");
    }
    assertThat(history(c, "typing/room").getJsonArray("messages")).isEmpty();
  }

  @Test
  @Order(4)
  void theSameKeyOnAnyNodeAndAnyPathPublishesOnce() throws Exception {
    try (WsClient onC = WsClient.open(clients, c.ws(cluster.token("watch")));
         WsClient onB = WsClient.open(clients, b.ws(cluster.token("pub")))) {
      onC.subscribe("orders/7");
      JsonObject body = new JsonObject().put("channel", "orders/7").put("data", "paid").put("idempotencyKey", "order-7-paid");
      long first = offset(post(a, body));
      assertThat(offset(post(b, body))).isEqualTo(first);
      assertThat(offset(post(c, body))).isEqualTo(first);
      JsonObject ack = onB.request(new JsonObject().put("type", "publish").put("channel", "orders/7").put("data", "paid")
          .put("idempotencyKey", "order-7-paid"));
      assertThat(ack.getLong("offset")).isEqualTo(first);
      JsonObject request = new JsonObject().put("app", APP).put("channel", "orders/7").put("data", "paid")
          .put("idempotencyKey", "order-7-paid");
      for (int i = 0; i < 3; i++) {
        JsonObject reply = service.eventBus().<JsonObject>request("pulse.publish", request).await(10, TimeUnit.SECONDS).body();
        assertThat(reply.getLong("offset")).as("pulse.publish repeat %d", i).isEqualTo(first);
      }
      receivesOnly(onC, "orders/7", first);

      // a fresh key over the event bus: one message, its repeats the same offset
      request.put("idempotencyKey", "order-7-shipped");
      List<Long> offsets = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        offsets.add(service.eventBus().<JsonObject>request("pulse.publish", request).await(10, TimeUnit.SECONDS).body().getLong("offset"));
      }
      assertThat(offsets).containsOnly(offsets.get(0));
      receivesOnly(onC, "orders/7", offsets.get(0));
      Throwable refused = service.eventBus().request("pulse.publish", request.copy().put("idempotencyKey", 5))
          .transform(ar -> Future.succeededFuture(ar.cause())).await(10, TimeUnit.SECONDS);
      assertThat(refused).isInstanceOf(ReplyException.class);
      assertThat(((ReplyException) refused).failureCode()).isEqualTo(400);
      assertThat(refused.getMessage()).startsWith("bad_request:").contains("idempotencyKey");
    }
  }

  @Test
  @Order(5)
  void aKeyOutlivesTheNodeThatTookTheFirstPublish() {
    JsonObject body = new JsonObject().put("channel", "orders/8").put("data", "paid").put("idempotencyKey", "order-8-paid");
    try (WsClient onC = WsClient.open(clients, c.ws(cluster.token("watch8")))) {
      onC.subscribe("orders/8");
      long first = offset(post(b, body));
      b.kill();
      await("A sees B gone", 30_000, () -> a.metric("pulse_cluster_members") == 3);
      assertThat(offset(post(a, body))).isEqualTo(first);
      assertThat(offset(post(c, body))).isEqualTo(first);
      receivesOnly(onC, "orders/8", first);
    }
  }
}
