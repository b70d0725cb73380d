package dev.apexpulse.gateway;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.SseClient;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Server-Sent Events transport against a live node, on the wire: {@code GET /sse} streams, frames
 * POSTed to {@code /sse/<session>}, replies and messages on the stream exactly as a socket gets them.
 */
@Timeout(60)
class SseTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.put("heartbeat", new JsonObject().put("intervalSeconds", 1));
    startNode(config);
  }

  private static SseClient stream(String user) {
    return SseClient.open(node.port(), "token=" + node.token(user));
  }

  @Test
  void theStreamIsAnUnbufferedEventStreamWhoseFirstEventIsWelcomeWithASession() {
    try (SseClient c = SseClient.connect(node.port(), "/sse?token=" + node.token("scott"), Map.of())) {
      assertThat(c.status).isEqualTo(200);
      assertThat(c.headers.get("content-type")).isEqualTo("text/event-stream");
      assertThat(c.headers.get("cache-control")).contains("no-cache").contains("no-transform");
      assertThat(c.headers.get("x-accel-buffering")).isEqualTo("no");
      assertThat(c.headers.get("transfer-encoding")).isEqualTo("chunked");
      JsonObject welcome = c.poll();
      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(welcome.getString("connection")).startsWith("c-");
      assertThat(welcome.getString("node")).isEqualTo(node.node.config().nodeId());
      assertThat(welcome.getInteger("heartbeat")).isEqualTo(1);
      // the route of this node, then 144 random bits in base64url
      assertThat(welcome.getString("session")).matches("[0-9a-f]{8}\\.[A-Za-z0-9_-]{24}");
      // plain message events: no event: field (EventSource's own "error" event never clashes)
      assertThat(c.otherFields).isEmpty();
    }
  }

  @Test
  void sessionIdsAreUnguessable() {
    try (SseClient a = stream("a"); SseClient b = stream("b")) {
      assertThat(a.session).isNotEqualTo(b.session);
      assertThat(a.session.substring(0, 8)).isEqualTo(b.session.substring(0, 8));
      byte[] secret = Base64.getUrlDecoder().decode(a.session.substring(9));
      assertThat(secret.length * 8).isGreaterThanOrEqualTo(128);
    }
  }

  @Test
  void framesPostedToTheSessionAreAnsweredOnTheStreamAsOnASocket() {
    try (SseClient c = stream("scott");
         WsClient ws = WsClient.open(vertx, node.wsUrl("token=" + node.token("king")))) {
      JsonObject sub = c.subscribe("sse/room/1");
      assertThat(sub.getString("type")).isEqualTo("subscribed");
      assertThat(sub.getBoolean("recovered")).isTrue();
      long start = sub.getLong("offset");
      ws.subscribe("sse/room/1");

      JsonObject ack = c.publish("sse/room/1", new JsonObject().put("text", "hi"));
      assertThat(ack.getString("type")).isEqualTo("ack");
      assertThat(ack.getLong("offset")).isEqualTo(start + 1);
      JsonObject onStream = c.next("message");
      JsonObject onSocket = ws.next("message");
      assertThat(onStream).isEqualTo(onSocket);
      assertThat(onStream.getString("from")).isEqualTo("scott");

      // a publish from the socket reaches the stream too
      ws.publish("sse/room/1", new JsonObject().put("text", "back"));
      assertThat(c.next("message").getJsonObject("data")).isEqualTo(new JsonObject().put("text", "back"));

      JsonObject presence = c.request(new JsonObject().put("type", "presence").put("channel", "sse/room/1"));
      assertThat(presence.getInteger("count")).isEqualTo(2);
      assertThat(c.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void anArrayOfFramesIsHandledInOrderAndAnsweredWith202() {
    try (SseClient c = stream("scott")) {
      Http.Response r = c.post(new JsonArray()
          .add(new JsonObject().put("type", "subscribe").put("id", 1).put("channel", "sse/batch"))
          .add(new JsonObject().put("type", "publish").put("id", 2).put("channel", "sse/batch").put("data", 7))
          .add(new JsonObject().put("type", "ping").put("id", 3)).encode());
      assertThat(r.status()).isEqualTo(202);
      assertThat(r.body()).isEmpty();
      List<JsonObject> frames = new java.util.ArrayList<>();
      while (frames.size() < 4) {
        JsonObject f = c.poll();
        if (!"join".equals(f.getString("type"))) {
          frames.add(f);
        }
      }
      // the replies in request order; the message (delivered as the publish is) anywhere after the subscription
      assertThat(frames.stream().filter(f -> f.containsKey("id")).map(f -> f.getString("type")))
          .containsExactly("subscribed", "ack", "pong");
      assertThat(frames.get(0).getString("type")).isEqualTo("subscribed");
      assertThat(frames.stream().filter(f -> "message".equals(f.getString("type"))).map(f -> f.getInteger("data"))).containsExactly(7);
    }
  }

  @Test
  void binaryMessagesTravelAsBase64AndBinaryFramesCanBePosted() {
    try (SseClient c = stream("scott")) {
      c.subscribe("sse/bin");
      byte[] payload = {0, 1, 2, (byte) 0xff, '\n', '\r'};
      long id = 77;
      Http.Response r = c.post(c.session, "binary", "application/octet-stream", WsClient.encodeBinary("sse/bin", id, payload));
      assertThat(r.status()).isEqualTo(202);
      assertThat(c.replyTo(id).getString("type")).isEqualTo("ack");
      JsonObject m = c.next("message");
      assertThat(m.getBoolean("binary")).isTrue();
      assertThat(Base64.getDecoder().decode(m.getString("data"))).isEqualTo(payload);
      assertThat(m.getString("from")).isEqualTo("scott");
    }
  }

  @Test
  void rawJsonWithLineBreaksArrivesWholeAcrossDataLines() throws Exception {
    try (SseClient c = stream("scott")) {
      c.subscribe("sse/lines");
      node.node.publisher().publishJson("100", "sse/lines", "{\n  \"a\": [1,\r\n 2],\r \"b\": \"x\"\n}", null, null)
          .await(10, TimeUnit.SECONDS);
      assertThat(c.next("message").getJsonObject("data")).isEqualTo(new JsonObject("{\"a\":[1,2],\"b\":\"x\"}"));
    }
  }

  @Test
  void credentialsFromTheHeaderOrAnAnonymousApp() {
    try (SseClient c = SseClient.connect(node.port(), "/sse", Map.of("Authorization", "Bearer " + node.token("hdr")))) {
      assertThat(c.status).isEqualTo(200);
      c.welcome();
      assertThat(c.subscribe("anything").getString("type")).isEqualTo("subscribed");
    }
    try (SseClient c = SseClient.open(node.port(), "app=100")) {
      assertThat(c.subscribe("public/news").getString("type")).isEqualTo("subscribed");
      JsonObject refused = c.publish("public/news", 1);
      assertThat(refused.getString("code")).isEqualTo("forbidden");
    }
    SseClient none = SseClient.connect(node.port(), "/sse", Map.of());
    assertThat(none.status).isEqualTo(401);
    assertThat(new JsonObject(none.body).getJsonObject("error").getString("code")).isEqualTo("unauthorized");
    SseClient noAnonymous = SseClient.connect(node.port(), "/sse?app=200", Map.of());
    assertThat(noAnonymous.status).isEqualTo(401);
  }

  @Test
  void aRefusedTokenOpensTheStreamToSayWhyThenClosesWith1008() {
    String expired = node.jwt.hs256(node.jwt.claims("old", -60));
    try (SseClient c = SseClient.connect(node.port(), "/sse?token=" + expired, Map.of())) {
      assertThat(c.status).isEqualTo(200);
      JsonObject error = c.next("error");
      assertThat(error.getString("code")).isEqualTo("unauthorized");
      JsonObject close = c.next("close");
      assertThat(close.getInteger("code")).isEqualTo(1008);
      assertThat(close.getString("reason")).isEqualTo(error.getString("message"));
      c.awaitEnd();
      assertThat(c.endedCleanly).isTrue();
    }
  }

  @Test
  void unknownAndClosedSessionsAre404UnknownSession() {
    Http.Response r = Http.post(node.httpBase() + "/sse/0123abcd.AAAAAAAAAAAAAAAAAAAAAAAA", null, "{\"type\":\"ping\"}");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.errorCode()).isEqualTo("unknown_session");
    assertThat(Http.post(node.httpBase() + "/sse/nonsense", null, "{\"type\":\"ping\"}").errorCode()).isEqualTo("unknown_session");
    SseClient c = stream("gone");
    String session = c.session;
    c.close();
    Await.until("the stream is gone", 5000, () ->
        Http.post(node.httpBase() + "/sse/" + session, null, "{\"type\":\"ping\"}").status() == 404);
  }

  @Test
  void theSessionIdIsTheCredentialAndAnAuthorizationHeaderIsIgnored() {
    try (SseClient c = SseClient.open(node.port(), "token=" + node.token("scott", new JsonArray().add("mine/**"), new JsonArray()))) {
      // another user's token in the header changes nothing: the frames act as the stream's user
      Http.Response r = Http.post(node.httpBase() + "/sse/" + c.session, node.token("king"),
          new JsonObject().put("type", "subscribe").put("id", 5).put("channel", "theirs/x").encode());
      assertThat(r.status()).isEqualTo(202);
      assertThat(c.replyTo(5).getString("code")).isEqualTo("forbidden");
      // a token of another user in an auth frame does not take the session over
      JsonObject refresh = c.request(new JsonObject().put("type", "auth").put("token", node.token("king")));
      assertThat(refresh.getString("code")).isEqualTo("forbidden");
      // nor one of another app
      String other = new dev.apexpulse.support.Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET)
          .hs256(new dev.apexpulse.support.Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET).claims("scott", 3600));
      assertThat(c.request(new JsonObject().put("type", "auth").put("token", other)).getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe("mine/a").getString("type")).isEqualTo("subscribed");
    }
  }

  @Test
  void originsFollowTheAppsListWithCorsForThePosts() throws Exception {
    String page = "http://localhost:8000";
    try (SseClient c = SseClient.connect(node.port(), "/sse?token=" + node.token("cors"), Map.of("Origin", page))) {
      assertThat(c.status).isEqualTo(200);
      assertThat(c.headers.get("access-control-allow-origin")).isEqualTo(page);
      c.welcome();
      assertThat(c.subscribe("c/1").getString("type")).isEqualTo("subscribed");
      HttpResponse<String> preflight = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/sse/" + c.session))
          .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", page)
          .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "content-type").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(preflight.statusCode()).isEqualTo(204);
      assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue(page);
      assertThat(preflight.headers().firstValue("access-control-allow-methods").orElse("")).contains("POST");
      assertThat(preflight.headers().firstValue("access-control-allow-headers").orElse("").toLowerCase()).contains("content-type");

      // a page of the other app's origin may not drive this app's session
      HttpResponse<String> foreign = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/sse/" + c.session))
          .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\"}")).header("Content-Type", "application/json")
          .header("Origin", "https://other.example.com").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(foreign.statusCode()).isEqualTo(403);
      assertThat(new JsonObject(foreign.body()).getJsonObject("error").getString("code")).isEqualTo("forbidden");
      // a site no app allows
      HttpResponse<String> evil = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/sse/" + c.session))
          .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\"}")).header("Content-Type", "application/json")
          .header("Origin", "https://evil.example.net").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(evil.statusCode()).isEqualTo(403);
      assertThat(evil.headers().firstValue("access-control-allow-origin")).isEmpty();
    }
    SseClient evil = SseClient.connect(node.port(), "/sse?token=" + node.token("x"), Map.of("Origin", "https://evil.example.net"));
    assertThat(evil.status).isEqualTo(403);
    SseClient otherApp = SseClient.connect(node.port(), "/sse?token=" + node.token("x"), Map.of("Origin", "https://other.example.com"));
    assertThat(otherApp.status).isEqualTo(403);
  }

  @Test
  void badBodiesGetClearErrors() {
    try (SseClient c = stream("bad")) {
      String url = node.httpBase() + "/sse/" + c.session;
      assertError(Http.post(url, null, "{not json"), 400, "bad_request");
      assertError(Http.post(url, null, "42"), 400, "bad_request");
      assertError(Http.post(url, null, "[]"), 400, "bad_request");
      assertError(Http.post(url, null, "[{\"type\":\"ping\"}, 3]"), 400, "bad_request");
      assertError(c.post(c.session, "text", "text/plain", "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8)), 415, "bad_request");
      assertError(Http.get(url, null), 405, "bad_request");
      // a frame larger than limits.maxFrameBytes (64 KiB), alone or in an array; a body past four times that
      String big = new JsonObject().put("type", "publish").put("channel", "x").put("data", "y".repeat(70_000)).encode();
      assertError(Http.post(url, null, big), 413, "too_large");
      assertError(Http.post(url, null, "[" + big + "]"), 413, "too_large");
      assertError(Http.post(url, null, "[" + (big + ",").repeat(4) + "{}]"), 413, "too_large");
      JsonArray many = new JsonArray();
      for (int i = 0; i < 101; i++) {
        many.add(new JsonObject().put("type", "ping"));
      }
      assertError(Http.post(url, null, many.encode()), 413, "too_large");
      // a frame the session does not understand is a protocol error on the stream, as on a socket
      assertThat(c.post("{\"type\":\"dance\",\"id\":9}").status()).isEqualTo(202);
      JsonObject error = c.replyTo(9);
      assertThat(error.getString("code")).isEqualTo("bad_request");
      // and the stream is still fine
      assertThat(c.subscribe("after/bad").getString("type")).isEqualTo("subscribed");
    }
  }

  @Test
  void aFloodOfPostsIsRateLimitedWith429AndTheNodeCarriesOn() {
    try (SseClient c = stream("flood")) {
      String url = node.httpBase() + "/sse/" + c.session;
      int accepted = 0;
      int limited = 0;
      for (int i = 0; i < 400 && limited == 0; i++) {
        Http.Response r = Http.post(url, null, "{\"type\":\"ping\"}");
        if (r.status() == 202) {
          accepted++;
        } else {
          assertError(r, 429, "rate_limited");
          limited++;
        }
      }
      assertThat(limited).isEqualTo(1);
      assertThat(accepted).isGreaterThanOrEqualTo(100); // the burst
    }
    try (SseClient fresh = stream("after-flood")) {
      assertThat(fresh.subscribe("still/fine").getString("type")).isEqualTo("subscribed");
    }
  }

  @Test
  void heartbeatsAreCommentLines() {
    try (SseClient c = stream("idle")) {
      Await.until("two heartbeats", 10_000, () -> c.comments.get() >= 2);
      assertThat(c.isEnded()).isFalse();
    }
  }

  @Test
  void recoveryWithSinceWorksAcrossStreams() {
    long offset;
    String epoch;
    try (SseClient first = stream("rec")) {
      JsonObject sub = first.subscribe("sse/recover");
      epoch = sub.getString("epoch");
      first.publish("sse/recover", "one");
      offset = first.next("message").getLong("offset");
    }
    for (String text : new String[] {"two", "three"}) {
      node.node.publish("100", "sse/recover", text).await();
    }
    try (SseClient second = stream("rec")) {
      JsonObject sub = second.request(new JsonObject().put("type", "subscribe").put("channel", "sse/recover")
          .put("since", new JsonObject().put("offset", offset).put("epoch", epoch)));
      assertThat(sub.getBoolean("recovered")).isTrue();
      assertThat(second.next("message").getString("data")).isEqualTo("two");
      assertThat(second.next("message").getString("data")).isEqualTo("three");
    }
  }

  @Test
  void aTokenRefreshedByPostKeepsTheStreamAndExpiryClosesItWith1008() {
    String shortLived = node.jwt.hs256(node.jwt.claims("ttl", 2).put("sub_ch", new JsonArray().add("**")));
    try (SseClient c = SseClient.open(node.port(), "token=" + shortLived)) {
      JsonObject welcome = c.request(new JsonObject().put("type", "auth").put("token", node.token("ttl")));
      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(welcome.getString("session")).isEqualTo(c.session);
    }
    try (SseClient c = SseClient.open(node.port(), "token=" + shortLived)) {
      JsonObject close = c.next("close");
      assertThat(close.getInteger("code")).isEqualTo(1008);
      assertThat(close.getString("reason")).isEqualTo("token expired");
      c.awaitEnd();
    }
  }

  @Test
  void anHttp10RequestGetsAStreamThatEndsWithTheConnection() {
    try (SseClient c = SseClient.connect(node.port(), "/sse?token=" + node.token("old-proxy"), Map.of(), true, 0, true)) {
      assertThat(c.status).isEqualTo(200);
      assertThat(c.headers).doesNotContainKey("transfer-encoding");
      c.welcome();
      c.subscribe("sse/http10");
      node.node.publish("100", "sse/http10", "plain").await();
      assertThat(c.next("message").getString("data")).isEqualTo("plain");
      Await.until("a heartbeat", 5000, () -> c.comments.get() >= 1);
    }
  }

  @Test
  void metricsAndTheConnectionListCountStreamsPerTransport() throws Exception {
    try (SseClient c = stream("counted")) {
      Await.until("counted", 5000, () -> gauge("sse") >= 1);
      String metrics = Http.get(node.httpBase() + "/metrics", null).body();
      assertThat(metrics).contains("pulse_transport_connections{transport=\"sse\"}");
      assertThat(metrics).contains("pulse_sse_posts");
    }
    Await.until("gone from the count", 5000, () -> gauge("sse") == 0);
  }

  private static double gauge(String transport) {
    return node.node.metrics().registry().get("pulse_transport_connections").tag("transport", transport).gauge().value();
  }

  private static void assertError(Http.Response r, int status, String code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.errorCode()).isEqualTo(code);
  }
}
