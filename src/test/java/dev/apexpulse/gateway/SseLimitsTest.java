package dev.apexpulse.gateway;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.SseClient;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event streams under the node's limits: they share {@code maxConnections} with sockets, a stream that
 * never reads is cut at {@code maxQueuedBytes}, and a drain ends them with a {@code close} frame 1012.
 */
@Timeout(120)
class SseLimitsTest {

  @Test
  void streamsAndSocketsShareMaxConnections() {
    JsonObject config = TestNode.config();
    config.put("limits", new JsonObject().put("maxConnections", 2));
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(config);
         SseClient stream = SseClient.open(node.port(), "token=" + node.token("a"));
         WsClient socket = WsClient.open(vertx, node.wsUrl("token=" + node.token("b")))) {
      SseClient third = SseClient.connect(node.port(), "/sse?token=" + node.token("c"), Map.of());
      assertThat(third.status).isEqualTo(503);
      assertThat(new JsonObject(third.body).getJsonObject("error").getString("code")).isEqualTo("limit_exceeded");
      stream.close();
      Await.until("the stream's place is free", 5000, () -> node.node.metrics().connections() == 1);
      try (WsClient again = WsClient.open(vertx, node.wsUrl("token=" + node.token("d")))) {
        assertThat(again.isClosed()).isFalse();
      }
    } finally {
      vertx.close();
    }
  }

  @Test
  void aStreamThatNeverReadsIsCutAtMaxQueuedBytes() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("maxBodyBytes", 2 << 20);
    config.put("limits", new JsonObject().put("maxQueuedBytes", 256 * 1024).put("apiRate", 10_000).put("apiBurst", 10_000));
    try (TestNode node = TestNode.start(config);
         SseClient reader = SseClient.open(node.port(), "token=" + node.token("reader"))) {
      reader.subscribe("big/reports");
      // a small receive buffer, and nothing read after the head: the kernel buffers fill, then the node's queue
      SseClient stalled = SseClient.connect(node.port(), "/sse?token=" + node.token("stalled"), Map.of(), false, 4096, false);
      String session = null;
      StringBuilder head = new StringBuilder();
      while (session == null) { // read just the welcome, byte by byte, to learn the session
        head.append((char) stalled.readByte());
        int at = head.indexOf("\"session\":\"");
        if (at >= 0 && head.indexOf("\"", at + 11) > 0) {
          session = head.substring(at + 11, head.indexOf("\"", at + 11));
        }
      }
      assertThat(Http.post(node.httpBase() + "/sse/" + session, null,
          "{\"type\":\"subscribe\",\"channel\":\"big/reports\"}").status()).isEqualTo(202);
      Await.until("the stalled stream subscribed", 5000, () -> node.node.metrics().registry()
          .get("pulse_subscriptions").gauge().value() == 2);
      String chunk = "x".repeat(30_000);
      int messages = 0;
      for (int batch = 0; batch < 10 && node.node.metrics().slowConsumerCount() == 0; batch++) {
        JsonArray list = new JsonArray();
        for (int i = 0; i < 20; i++) {
          list.add(new JsonObject().put("channel", "big/reports").put("data", chunk));
          messages++;
        }
        assertThat(Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
            new JsonObject().put("messages", list).encode()).status()).isEqualTo(200);
      }
      Await.until("the stalled stream cut as too slow", 10_000, () -> node.node.metrics().slowConsumerCount() == 1);
      // the reader got everything; the stalled stream's connection is gone and so is its session
      int expected = messages;
      for (int i = 0; i < expected; i++) {
        assertThat(reader.next("message").getString("data")).hasSize(30_000);
      }
      String gone = session;
      Await.until("the session is gone", 5000, () ->
          Http.post(node.httpBase() + "/sse/" + gone, null, "{\"type\":\"ping\"}").status() == 404);
      stalled.close();
    }
  }

  @Test
  void streamsWhoseClientsVanishLeaveNothingBehind() throws Exception {
    try (TestNode node = TestNode.start()) {
      String request = "GET /sse?token=" + node.token("gone") + " HTTP/1.1\r\nHost: x\r\n\r\n";
      for (int i = 0; i < 50; i++) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", node.port())) {
          s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          if (i % 2 == 0) {
            s.setSoLinger(true, 0); // half of them reset, the others close politely
          }
        }
      }
      Await.until("every stream ended", 10_000, () -> node.node.metrics().connections() == 0
          && node.node.metrics().registry().get("pulse_transport_connections").tag("transport", "sse").gauge().value() == 0);
      assertThat(SseClient.open(node.port(), "token=" + node.token("after")).subscribe("still/there").getString("type"))
          .isEqualTo("subscribed");
    }
  }

  @Test
  void aDrainEndsStreamsWithACloseFrame1012() throws Exception {
    JsonObject config = TestNode.config();
    config.put("drain", new JsonObject().put("readinessDelaySeconds", 0).put("graceSeconds", 2));
    TestNode node = TestNode.start(config);
    try (SseClient c = SseClient.open(node.port(), "token=" + node.token("drained"))) {
      c.subscribe("drain/me");
      var stopped = node.node.stop();
      JsonObject close = c.next("close");
      assertThat(close.getInteger("code")).isEqualTo(1012);
      assertThat(close.getString("reason")).isEqualTo("node restarting, reconnect");
      c.awaitEnd();
      assertThat(c.endedCleanly).isTrue();
      stopped.await(30, TimeUnit.SECONDS);
    }
  }
}
