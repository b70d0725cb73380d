package dev.apexpulse.gateway;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad clients: every limit answers with the documented error frame, close code or HTTP status. */
@Timeout(90)
class LimitsTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.put("limits", new JsonObject().put("maxSubscriptions", 5).put("frameRate", 20).put("frameBurst", 20)
        .put("maxFrameBytes", 4096).put("maxPublishBytes", 1024).put("maxConnections", 30));
    startNode(config);
  }


  private WsClient open() {
    return WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")));
  }

  @Test
  void malformedJsonIsABadRequestAndTheConnectionStaysOpen() {
    try (WsClient c = open()) {
      for (String bad : List.of("{", "[1,2]", "42", "\"text\"", "{\"type\":", "{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}")) {
        c.sendText(bad);
        JsonObject error = c.next("error");
        assertThat(error.getString("code")).as(bad).isEqualTo("bad_request");
      }
      assertThat(c.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void wrongFieldTypesAndUnknownTypesAreBadRequests() {
    try (WsClient c = open()) {
      c.sendText("{\"type\":\"ping\",\"id\":\"seven\"}");
      assertThat(c.next("error").getString("code")).isEqualTo("bad_request");
      c.sendText("{\"id\":3}");
      assertThat(c.next("error").getLong("id")).isEqualTo(3);
      for (JsonObject bad : List.of(
          new JsonObject().put("type", "teleport"),
          new JsonObject().put("type", 7),
          new JsonObject().put("type", "subscribe").put("channel", 5),
          new JsonObject().put("type", "subscribe").put("channel", "a//b"),
          new JsonObject().put("type", "subscribe").put("channel", "a/../b%2F"),
          new JsonObject().put("type", "subscribe").put("channel", "x".repeat(256)),
          new JsonObject().put("type", "subscribe").put("channel", "a/b").put("since", "yesterday"),
          new JsonObject().put("type", "subscribe").put("channel", "a/b").put("since", new JsonObject().put("offset", -1).put("epoch", "e")),
          new JsonObject().put("type", "publish").put("channel", "a/b"),
          new JsonObject().put("type", "auth").put("token", 12))) {
        JsonObject reply = c.request(bad);
        assertThat(reply.getString("code")).as(bad.encode()).isEqualTo("bad_request");
      }
      JsonObject notSubscribed = c.request(new JsonObject().put("type", "unsubscribe").put("channel", "never/joined"));
      assertThat(notSubscribed.getString("code")).isEqualTo("not_found");
      JsonObject job = c.request(new JsonObject().put("type", "trigger").put("job", "no-such-job"));
      assertThat(job.getString("code")).isEqualTo("not_found");
      assertThat(c.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void shortBinaryFramesAreBadRequests() {
    try (WsClient c = open()) {
      c.ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(new byte[] {0, 1, 2}));
      assertThat(c.next("error").getString("code")).isEqualTo("bad_request");
    }
  }

  @Test
  void tooLargeBinaryPublishIsRefusedWithTooLargeAndItsId() {
    try (WsClient c = open()) {
      c.sendBinary(WsClient.encodeBinary("a/b", 77, new byte[2000]));
      JsonObject reply = c.replyTo(77);
      assertThat(reply.getString("type")).isEqualTo("error");
      assertThat(reply.getString("code")).isEqualTo("too_large");
      // exactly at the limit is fine
      assertThat(c.publishBinary("a/b", new byte[1024]).getString("type")).isEqualTo("ack");
    }
  }

  @Test
  void binaryFrameOverMaxFrameBytesClosesWith1009() {
    try (WsClient c = open()) {
      c.sendBinary(WsClient.encodeBinary("a/b", 78, new byte[5000]));
      assertThat(c.awaitClose()).isEqualTo((short) 1009);
    }
  }

  @Test
  void tooLargeBinaryHttpPublishIs413() {
    Http.Response r = Http.postBytes(node.httpBase() + "/api/v1/apps/100/publish?channel=a/b", TestNode.API_KEY, new byte[1025]);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.errorCode()).isEqualTo("too_large");
  }

  @Test
  void binaryFramesCountAgainstTheFrameRate() {
    try (WsClient c = open()) {
      for (int i = 0; i < 30; i++) {
        c.ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(new byte[] {1}));
      }
      assertThat(c.drain(500)).anyMatch(f -> "rate_limited".equals(f.getString("code")));
    }
  }

  @Test
  void tooLargePublishIsRefusedWithTooLarge() {
    try (WsClient c = open()) {
      JsonObject reply = c.publish("a/b", "x".repeat(2000));
      assertThat(reply.getString("code")).isEqualTo("too_large");
      assertThat(c.publish("a/b", "small").getString("type")).isEqualTo("ack");
    }
  }

  @Test
  void subscriptionLimitGivesLimitExceeded() {
    try (WsClient c = open()) {
      for (int i = 0; i < 5; i++) {
        assertThat(c.subscribe("many/" + i).getString("type")).isEqualTo("subscribed");
      }
      assertThat(c.subscribe("many/5").getString("code")).isEqualTo("limit_exceeded");
      assertThat(c.subscribe("many/0").getString("code")).isEqualTo("bad_request");
    }
  }

  @Test
  void frameFloodIsRateLimitedThenClosed() {
    try (WsClient c = open()) {
      for (int i = 0; i < 30; i++) {
        c.send(new JsonObject().put("type", "ping").put("id", i));
      }
      List<JsonObject> frames = c.drain(500);
      assertThat(frames).anyMatch(f -> "rate_limited".equals(f.getString("code")));
      assertThat(frames.stream().filter(f -> "pong".equals(f.getString("type"))).count()).isBetween(18L, 22L);
      for (int i = 0; i < 200; i++) {
        c.send(new JsonObject().put("type", "ping"));
      }
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
  }

  @Test
  void oversizeFrameClosesWith1009() throws Exception {
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      assertThat(raw.status).isEqualTo(101);
      assertThat(raw.read().text()).contains("welcome");
      raw.sendText("{\"type\":\"publish\",\"channel\":\"a\",\"data\":\"" + "x".repeat(5000) + "\"}");
      assertThat(raw.awaitClose()).isEqualTo(1009);
    }
  }

  /** Netty's own cap used to drop such a frame without a close frame (1006); RFC 6455 wants 1009. */
  @Test
  void aSingleFrameFarAboveTheLimitClosesWith1009AndACloseFrame() throws Exception {
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      raw.read();
      raw.send(RawWs.TEXT, true, new byte[300 * 1024]);
      assertThat(raw.awaitClose()).isEqualTo(1009);
    }
    // a header that claims a terabyte: refused at the header, nothing buffered
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      raw.read();
      raw.sendBytes(new byte[] {(byte) 0x81, (byte) (0x80 | 127), 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4, 'x', 'y'});
      assertThat(raw.awaitClose()).isEqualTo(1009);
    }
    // the frames after an oversize one are still read: the node answers the client's close frame
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      raw.read();
      raw.queue(RawWs.BINARY, true, new byte[100 * 1024]).queue(RawWs.CLOSE, true, new byte[] {0x03, (byte) 0xe8}).flush();
      assertThat(raw.awaitClose()).isEqualTo(1009);
      assertThat(raw.read()).as("then the node ends the connection").isNull();
    }
  }

  @Test
  void oversizeFragmentedMessageClosesWith1009() throws Exception {
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      raw.read();
      raw.send(RawWs.TEXT, false, "{\"type\":\"ping\",\"pad\":\"".getBytes());
      for (int i = 0; i < 3; i++) {
        raw.send(RawWs.CONTINUATION, false, "x".repeat(2000).getBytes());
      }
      raw.send(RawWs.CONTINUATION, true, "\"}".getBytes());
      assertThat(raw.awaitClose()).isEqualTo(1009);
    }
  }

  @Test
  void fragmentedFramesWithinTheLimitAreReassembled() throws Exception {
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      raw.read();
      raw.send(RawWs.TEXT, false, "{\"type\":\"pi".getBytes());
      raw.send(RawWs.CONTINUATION, true, "ng\",\"id\":5}".getBytes());
      assertThat(raw.read().text()).isEqualTo("{\"type\":\"pong\",\"id\":5}");
    }
  }

  @Test
  void invalidUtf8ClosesWith1007() throws Exception {
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
      raw.read();
      raw.send(RawWs.TEXT, true, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
      assertThat(raw.awaitClose()).isEqualTo(1007);
    }
  }

  @Test
  void foreignOriginIsRefusedBeforeTheUpgrade() throws Exception {
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), "https://evil.example.net")) {
      assertThat(raw.status).isEqualTo(403);
    }
    // an origin allowed for another app is not enough for this app's token
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), "https://other.example.com")) {
      assertThat(raw.status).isEqualTo(403);
    }
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), "http://localhost:3000")) {
      assertThat(raw.status).isEqualTo(101);
    }
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), "https://apex.example.com")) {
      assertThat(raw.status).isEqualTo(101);
    }
    // token in the first frame: the origin is checked again against the app's list
    try (RawWs raw = RawWs.connect(node.port(), "/ws", "https://other.example.com")) {
      assertThat(raw.status).isEqualTo(101);
      raw.sendText(new JsonObject().put("type", "auth").put("token", node.token("scott")).encode());
      assertThat(raw.read().text()).contains("forbidden");
      assertThat(raw.awaitClose()).isEqualTo(1008);
    }
  }

  @Test
  void connectionLimitRefusesFurtherUpgradesWith503() throws Exception {
    List<WsClient> held = new ArrayList<>();
    try {
      while (node.node.metrics().connections() < 30) {
        held.add(open());
      }
      try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + node.token("scott"), null)) {
        assertThat(raw.status).isEqualTo(503);
      }
    } finally {
      held.forEach(WsClient::close);
    }
  }
}
