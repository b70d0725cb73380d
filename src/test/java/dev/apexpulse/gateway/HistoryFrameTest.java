package dev.apexpulse.gateway;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code history} frame: a channel's past over the socket, with the subscribe grant, bounded. */
@Timeout(60)
class HistoryFrameTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.put("limits", new JsonObject().put("maxHistoryRequest", 50).put("historyRate", 2).put("historyBurst", 3)
        .put("maxQueuedBytes", 8192));
    startNode(config);
  }

  private static void publish(String channel, int from, int to) {
    JsonArray batch = new JsonArray();
    for (int i = from; i <= to; i++) {
      batch.add(new JsonObject().put("channel", channel).put("data", i));
    }
    assertThat(Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
        new JsonObject().put("messages", batch).encode()).status()).isEqualTo(200);
  }

  private static JsonObject history(WsClient c, JsonObject request) {
    return c.request(request.put("type", "history"));
  }

  private static List<Object> data(JsonObject reply) {
    return reply.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getValue("data")).toList();
  }

  /** A fresh connection per test: each has its own history request budget. */
  private static WsClient client(String user) {
    return WsClient.open(vertx, node.wsUrl("token=" + node.token(user)));
  }

  @Test
  void theNewestLimitMessagesOldestFirstOrNewestFirstWithReverse() {
    publish("room/a", 1, 10);
    try (WsClient c = client("ann")) {
      JsonObject h = history(c, new JsonObject().put("channel", "room/a").put("limit", 4));
      assertThat(h.getString("type")).as("%s", h).isEqualTo("history");
      assertThat(h.getString("channel")).isEqualTo("room/a");
      assertThat(h.getLong("offset")).isEqualTo(10);
      assertThat(h.getString("epoch")).isNotEmpty();
      assertThat(data(h)).containsExactly(7, 8, 9, 10);
      assertThat(h.getJsonArray("messages").getJsonObject(0).getLong("offset")).isEqualTo(7);
      assertThat(data(history(c, new JsonObject().put("channel", "room/a").put("limit", 4).put("reverse", true))))
          .containsExactly(10, 9, 8, 7);
      // without limit: up to limits.maxHistoryRequest
      assertThat(data(history(c, new JsonObject().put("channel", "/room/a")))).hasSize(10);
    }
  }

  @Test
  void sinceReturnsWhatCameAfterOrRecoveredFalse() {
    publish("room/b", 1, 6);
    try (WsClient c = client("bob")) {
      String epoch = history(c, new JsonObject().put("channel", "room/b").put("limit", 1)).getString("epoch");
      JsonObject after = history(c, new JsonObject().put("channel", "room/b")
          .put("since", new JsonObject().put("offset", 4).put("epoch", epoch)));
      assertThat(after.getBoolean("recovered")).isTrue();
      assertThat(data(after)).containsExactly(5, 6);
      JsonObject lost = history(c, new JsonObject().put("channel", "room/b")
          .put("since", new JsonObject().put("offset", 4).put("epoch", "not-" + epoch)));
      assertThat(lost.getBoolean("recovered")).isFalse();
      assertThat(lost.getJsonArray("messages")).isEmpty();
    }
  }

  @Test
  void binaryMessagesAndFromAreListedAsTheHttpHistoryListsThem() {
    byte[] bytes = {0, 1, (byte) 0xff};
    assertThat(Http.postBytes(node.httpBase() + "/api/v1/apps/100/publish?channel=room/bin", TestNode.API_KEY, bytes).status())
        .isEqualTo(200);
    try (WsClient c = client("cid")) {
      c.publish("room/bin", new JsonObject().put("t", "hi"));
      JsonArray m = history(c, new JsonObject().put("channel", "room/bin")).getJsonArray("messages");
      assertThat(m.getJsonObject(0).getBoolean("binary")).isTrue();
      assertThat(Base64.getDecoder().decode(m.getJsonObject(0).getString("data"))).isEqualTo(bytes);
      assertThat(m.getJsonObject(1).getJsonObject("data").getString("t")).isEqualTo("hi");
      assertThat(m.getJsonObject(1).getString("from")).isEqualTo("cid");
      JsonObject http = Http.get(node.httpBase() + "/api/v1/apps/100/history?channel=room/bin", TestNode.API_KEY).json();
      assertThat(http.getJsonArray("messages")).isEqualTo(m);
    }
  }

  @Test
  void refusedWithoutTheSubscribeGrantAndForBadFields() {
    publish("secret/x", 1, 1);
    String onlyPublic = node.token("eve", new JsonArray().add("public/**"), new JsonArray().add("**"));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + onlyPublic))) {
      JsonObject refused = history(c, new JsonObject().put("channel", "secret/x"));
      assertThat(refused.getString("code")).isEqualTo("forbidden");
      assertThat(refused.getString("message")).isEqualTo("not allowed to read the history of secret/x");
    }
    try (WsClient anon = WsClient.open(vertx, node.wsUrl("app=100"))) {
      assertThat(history(anon, new JsonObject().put("channel", "secret/x")).getString("code")).isEqualTo("forbidden");
      assertThat(history(anon, new JsonObject().put("channel", "public/x")).getString("type")).isEqualTo("history");
    }
    try (WsClient c = client("fay")) {
      for (Object limit : new Object[] {0, 51, -1, 2.5, "10"}) {
        JsonObject bad = history(c, new JsonObject().put("channel", "secret/x").put("limit", limit));
        assertThat(bad.getString("code")).as("limit %s", limit).isEqualTo("bad_request");
        assertThat(bad.getString("message")).contains("limits.maxHistoryRequest");
      }
    }
    try (WsClient c = client("gus")) {
      assertThat(history(c, new JsonObject().put("channel", "secret/x").put("reverse", "yes")).getString("code")).isEqualTo("bad_request");
      assertThat(history(c, new JsonObject().put("channel", "secret/x").put("since", 3)).getString("code")).isEqualTo("bad_request");
      assertThat(history(c, new JsonObject().put("channel", "a//b")).getString("code")).isEqualTo("bad_request");
    }
  }

  @Test
  void boundedByTheRateLimitAndByTheOutboundQueue() {
    try (WsClient c = client("hal")) {
      // historyBurst 3, historyRate 2/s: the fourth at once is refused, the connection stays
      for (int i = 0; i < 3; i++) {
        assertThat(history(c, new JsonObject().put("channel", "room/rate")).getString("type")).isEqualTo("history");
      }
      JsonObject limited = history(c, new JsonObject().put("channel", "room/rate"));
      assertThat(limited.getString("code")).isEqualTo("rate_limited");
      assertThat(c.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
    }
    JsonArray big = new JsonArray();
    for (int i = 0; i < 10; i++) {
      big.add(new JsonObject().put("channel", "room/big").put("data", "x".repeat(1000)));
    }
    assertThat(Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
        new JsonObject().put("messages", big).encode()).status()).isEqualTo(200);
    try (WsClient c = client("ivy")) {
      // ~10 KB of messages against limits.maxQueuedBytes 8192: refused before it is built
      JsonObject tooBig = history(c, new JsonObject().put("channel", "room/big"));
      assertThat(tooBig.getString("code")).isEqualTo("too_large");
      assertThat(tooBig.getString("message")).contains("limits.maxQueuedBytes");
      assertThat(data(history(c, new JsonObject().put("channel", "room/big").put("limit", 5)))).hasSize(5);
    }
  }
}
