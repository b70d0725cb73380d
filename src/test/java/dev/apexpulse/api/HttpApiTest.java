package dev.apexpulse.api;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP API against a live node: every endpoint, both credentials, every error status. */
@Timeout(60)
class HttpApiTest extends LiveNodeTest {
  static String base;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("maxBodyBytes", 4096);
    config.put("limits", new JsonObject().put("maxPublishBytes", 1000));
    startNode(config);
    base = node.httpBase() + "/api/v1/apps/100";
  }


  private static Http.Response publish(String credential, String body) {
    return Http.post(base + "/publish", credential, body);
  }

  @Test
  void publishWithApiKeyReachesSubscribersAndReturnsOffsets() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      long start = c.subscribe("dashboard/department/3").getLong("offset");
      Http.Response r = publish(TestNode.API_KEY, "{\"channel\":\"/dashboard/department/3\",\"data\":{\"orders\":7}}");
      assertThat(r.status()).isEqualTo(200);
      JsonObject result = r.json().getJsonArray("results").getJsonObject(0);
      assertThat(result.getString("channel")).isEqualTo("dashboard/department/3");
      assertThat(result.getLong("offset")).isEqualTo(start + 1);
      JsonObject msg = c.next("message");
      assertThat(msg.getJsonObject("data").getInteger("orders")).isEqualTo(7);
      assertThat(msg.containsKey("from")).isFalse();
    }
  }

  @Test
  void batchPublishKeepsOrder() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      c.subscribe("batch/a");
      JsonArray messages = new JsonArray();
      for (int i = 0; i < 20; i++) {
        messages.add(new JsonObject().put("channel", i % 2 == 0 ? "batch/a" : "batch/b").put("data", i));
      }
      Http.Response r = publish(TestNode.API_KEY, new JsonObject().put("messages", messages).encode());
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getJsonArray("results")).hasSize(20);
      for (int i = 0; i < 20; i += 2) {
        assertThat(c.next("message").getInteger("data")).isEqualTo(i);
      }
    }
  }

  @Test
  void publishWithJwtNeedsPublishGrantAndRecordsTheUser() {
    String token = node.token("scott", new JsonArray().add("**"), new JsonArray().add("chat/**"));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
      c.subscribe("chat/room/1");
      assertThat(publish(token, "{\"channel\":\"chat/room/1\",\"data\":\"hi\"}").status()).isEqualTo(200);
      assertThat(c.next("message").getString("from")).isEqualTo("scott");
    }
    Http.Response denied = publish(token, "{\"channel\":\"dashboard/x\",\"data\":1}");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.errorCode()).isEqualTo("forbidden");
    // a token of another app is not accepted on this app's URL
    String other = new dev.apexpulse.support.Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET)
        .hs256(new dev.apexpulse.support.Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET).claims("scott", 600).put("pub_ch", new JsonArray().add("**")));
    assertThat(publish(other, "{\"channel\":\"chat/room/1\",\"data\":1}").status()).isEqualTo(401);
  }

  @Test
  void errorsHaveStatusAndJsonBody() {
    Http.Response none = publish(null, "{\"channel\":\"a\",\"data\":1}");
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.errorCode()).isEqualTo("unauthorized");
    assertThat(publish("wrong-key-0123456789", "{\"channel\":\"a\",\"data\":1}").status()).isEqualTo(401);
    assertThat(publish(node.jwt.hs256(node.jwt.claims("x", -10)), "{\"channel\":\"a\",\"data\":1}").errorCode()).isEqualTo("unauthorized");

    for (String bad : new String[] {"not json", "[1]", "{\"data\":1}", "{\"channel\":\"a//b\",\"data\":1}",
        "{\"channel\":\"a\"}", "{\"messages\":[]}", "{\"messages\":[1]}"}) {
      Http.Response r = publish(TestNode.API_KEY, bad);
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.errorCode()).as(bad).isEqualTo("bad_request");
    }
    Http.Response tooBig = publish(TestNode.API_KEY, "{\"channel\":\"a\",\"data\":\"" + "x".repeat(5000) + "\"}");
    assertThat(tooBig.status()).isEqualTo(413);
    assertThat(tooBig.errorCode()).isEqualTo("too_large");
    Http.Response dataTooBig = publish(TestNode.API_KEY, "{\"channel\":\"a\",\"data\":\"" + "x".repeat(1500) + "\"}");
    assertThat(dataTooBig.status()).isEqualTo(413);
    // a batch with one oversize item is refused whole: nothing before it is published
    long before = Http.get(base + "/history?channel=whole/batch", TestNode.API_KEY).json().getLong("offset");
    Http.Response mixed = publish(TestNode.API_KEY, "{\"messages\":[{\"channel\":\"whole/batch\",\"data\":1},"
        + "{\"channel\":\"whole/batch\",\"data\":\"" + "x".repeat(1500) + "\"}]}");
    assertThat(mixed.status()).isEqualTo(413);
    assertThat(mixed.json().getJsonObject("error").getString("message")).startsWith("messages[1]");
    assertThat(Http.get(base + "/history?channel=whole/batch", TestNode.API_KEY).json().getLong("offset")).isEqualTo(before);

    Http.Response unknownApp = Http.post(node.httpBase() + "/api/v1/apps/nope/publish", TestNode.API_KEY, "{}");
    assertThat(unknownApp.status()).isEqualTo(404);
    assertThat(unknownApp.errorCode()).isEqualTo("not_found");
    assertThat(Http.get(node.httpBase() + "/api/v1/nothing", TestNode.API_KEY).status()).isEqualTo(404);
  }

  @Test
  void rateLimitGives429() {
    JsonObject config = TestNode.config();
    config.put("limits", new JsonObject().put("apiRate", 5).put("apiBurst", 5));
    try (TestNode limitedNode = TestNode.start(config)) {
      String url = limitedNode.httpBase() + "/api/v1/apps/100/channels";
      // failed authentication does not spend the app's budget
      for (int i = 0; i < 20; i++) {
        assertThat(Http.get(url, "bogus-key-0123456789").status()).isEqualTo(401);
      }
      assertThat(Http.get(url, TestNode.API_KEY).status()).isEqualTo(200);
      int limited = 0;
      for (int i = 0; i < 12; i++) {
        Http.Response r = Http.get(url, TestNode.API_KEY);
        if (r.status() == 429) {
          assertThat(r.errorCode()).isEqualTo("rate_limited");
          limited++;
        }
      }
      assertThat(limited).isGreaterThan(0);
    }
  }

  @Test
  void channelsPresenceAndHistory() {
    try (WsClient scott = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")));
         WsClient anon = WsClient.open(vertx, node.wsUrl("app=100"))) {
      scott.subscribe("public/room");
      anon.subscribe("public/room");
      JsonObject channels = Http.get(base + "/channels", TestNode.API_KEY).json();
      JsonObject room = channels.getJsonArray("channels").stream().map(o -> (JsonObject) o)
          .filter(o -> o.getString("channel").equals("public/room")).findFirst().orElseThrow();
      assertThat(room.getInteger("subscribers")).isEqualTo(2);

      JsonObject presence = Http.get(base + "/presence?channel=public/room", TestNode.API_KEY).json();
      assertThat(presence.getInteger("count")).isEqualTo(1);
      assertThat(presence.getInteger("connections")).isEqualTo(2);
      assertThat(presence.getJsonArray("clients").getJsonObject(0).getString("user")).isEqualTo("scott");

      for (int i = 1; i <= 3; i++) {
        publish(TestNode.API_KEY, "{\"channel\":\"public/room\",\"data\":" + i + "}");
      }
      JsonObject history = Http.get(base + "/history?channel=public/room", TestNode.API_KEY).json();
      assertThat(history.getJsonArray("messages")).hasSize(3);
      long top = history.getLong("offset");
      String epoch = history.getString("epoch");
      JsonObject since = Http.get(base + "/history?channel=public/room&since=" + (top - 1) + "&epoch=" + epoch, TestNode.API_KEY).json();
      assertThat(since.getBoolean("recovered")).isTrue();
      assertThat(since.getJsonArray("messages")).hasSize(1);
      assertThat(since.getJsonArray("messages").getJsonObject(0).getInteger("data")).isEqualTo(3);
      JsonObject lost = Http.get(base + "/history?channel=public/room&since=0&epoch=old", TestNode.API_KEY).json();
      assertThat(lost.getBoolean("recovered")).isFalse();

      // a JWT may read what it may subscribe to, nothing else, and may not list channels
      String reader = node.token("reader", new JsonArray().add("public/**"), new JsonArray());
      assertThat(Http.get(base + "/presence?channel=public/room", reader).status()).isEqualTo(200);
      assertThat(Http.get(base + "/history?channel=secret/room", reader).status()).isEqualTo(403);
      assertThat(Http.get(base + "/channels", reader).status()).isEqualTo(403);
      assertThat(Http.get(base + "/history?channel=public/room&since=x&epoch=e", TestNode.API_KEY).status()).isEqualTo(400);
      assertThat(Http.get(base + "/history?channel=public/room&since=1", TestNode.API_KEY).status()).isEqualTo(400);
      assertThat(Http.get(base + "/presence", TestNode.API_KEY).status()).isEqualTo(400);
    }
  }

  @Test
  void healthAndMetrics() {
    Http.Response live = Http.get(node.httpBase() + "/health/live", null);
    assertThat(live.status()).isEqualTo(200);
    Http.Response ready = Http.get(node.httpBase() + "/health/ready", null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getString("status")).isEqualTo("UP");
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      c.subscribe("m/1");
      c.publish("m/1", 1);
      c.next("message");
      c.request(new JsonObject().put("type", "teleport"));
      String metrics = Http.get(node.httpBase() + "/metrics", null).body();
      assertThat(metrics).contains("pulse_connections ", "pulse_subscriptions ", "pulse_messages_published_total",
          "pulse_messages_delivered_total", "pulse_fanout_latency_seconds_bucket", "pulse_errors_total{code=\"bad_request\"}",
          "pulse_slow_consumer_closes_total", "vertx_http_server");
    }
  }

  @Test
  void demoPageAndClientAreServed() {
    Http.Response page = Http.get(node.httpBase() + "/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("apex-pulse demo", "dashboard.html", "chat.html", "counter.html", "notifications.html");
    for (String demo : new String[] {"dashboard.html", "chat.html", "counter.html", "notifications.html", "playground.html"}) {
      assertThat(Http.get(node.httpBase() + "/" + demo, null).body()).as(demo).contains("js/pulse.js");
    }
    assertThat(Http.get(node.httpBase() + "/js/pulse.js", null).body()).contains("connect");
    // production mode: no dev tokens
    assertThat(Http.get(node.httpBase() + "/dev/token", null).status()).isEqualTo(404);
  }
}
