package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Dashboards;
import dev.apexpulse.support.DeltaReader;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delta compression across two clustered nodes: messages published on A reach a delta subscriber on B
 * as deltas B computed from the predecessor its own sequencer handed on; a client that moves to A and
 * recovers there gets the replay from the cluster's history in full, then deltas again.
 */
@Timeout(180)
class ClusterDeltaTest {
  static ClusterFixture cluster;
  static NodeProcess a;
  static NodeProcess b;
  static Vertx clients;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture(2);
    try {
      a = cluster.launch("a", 0, Map.of("PULSE_APP_100_DELTA", "fossil"));
      b = cluster.launch("b", 1, Map.of("PULSE_APP_100_DELTA", "fossil"));
      a.awaitReady(90_000);
      b.awaitReady(90_000);
      clients = Vertx.vertx();
    } catch (RuntimeException e) {
      cluster.closeAll();
      throw e;
    }
  }

  @AfterAll
  static void stop() {
    if (clients != null) {
      clients.close().await();
    }
    cluster.closeAll();
  }

  private static JsonObject subscribe(WsClient c, String channel, JsonObject since) {
    JsonObject frame = new JsonObject().put("type", "subscribe").put("channel", channel).put("delta", true);
    return c.request(since == null ? frame : frame.put("since", since));
  }

  /** Publishes on A: pushes of one dashboard, one number changed each; offset → data text. */
  private static Map<Long, String> pushOnA(String channel, JsonObject first, int count, Random r) {
    Map<Long, String> texts = new HashMap<>();
    JsonObject d = first;
    for (int i = 0; i < count; i++) {
      JsonObject body = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("channel", channel).put("data", d)));
      Http.Response res = Http.post(a.http() + "/api/v1/apps/100/publish", ClusterFixture.API_KEY, body.encode());
      assertThat(res.status()).isEqualTo(200);
      texts.put(new JsonObject(res.body()).getJsonArray("results").getJsonObject(0).getLong("offset"), d.encode());
      d = Dashboards.oneNumberChanged(d, r);
    }
    return texts;
  }

  @Test
  void publishedOnOneNodeDeltasOnTheOtherAndARecoveryOnTheFirst() throws Exception {
    Random r = new Random(8);
    String channel = "dashboard/cluster";
    DeltaReader reader = new DeltaReader();
    Map<Long, String> published = new HashMap<>();
    // a page on A keeps the channel open there, so A's sequencer hands every message on
    try (WsClient watcher = WsClient.open(clients, a.ws(cluster.token("watcher")))) {
      subscribe(watcher, channel, null);
      String epoch;
      long last;
      try (WsClient onB = WsClient.open(clients, b.ws(cluster.token("scott"))).keepTexts()) {
        JsonObject sub = subscribe(onB, channel, null);
        assertThat(sub.getBoolean("delta")).isTrue();
        epoch = sub.getString("epoch");
        published.putAll(pushOnA(channel, Dashboards.dashboard(r), 10, r));
        for (int i = 0; i < 10; i++) {
          reader.read(onB, onB.next("message"), published);
        }
        last = published.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
      }
      assertThat(reader.kinds).containsExactly("full", "delta", "delta", "delta", "delta", "delta", "delta", "delta", "delta", "delta");
      published.putAll(pushOnA(channel, Dashboards.oneNumberChanged(new JsonObject(published.get(last)), r), 3, r)); // missed
      try (WsClient onA = WsClient.open(clients, a.ws(cluster.token("scott"))).keepTexts()) {
        JsonObject sub = subscribe(onA, channel, new JsonObject().put("offset", last).put("epoch", epoch));
        assertThat(sub.getBoolean("recovered")).isTrue();
        for (int i = 0; i < 3; i++) {
          reader.read(onA, onA.next("message"), published);
        }
        published.putAll(pushOnA(channel, Dashboards.oneNumberChanged(new JsonObject(published.get(last + 3)), r), 3, r));
        for (int i = 0; i < 3; i++) {
          reader.read(onA, onA.next("message"), published);
        }
      }
    }
    assertThat(reader.kinds.subList(10, 16)).containsExactly("full", "full", "full", "delta", "delta", "delta");
    reader.assertDecodes();
  }
}
