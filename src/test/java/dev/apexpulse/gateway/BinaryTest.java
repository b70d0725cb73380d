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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Binary messages: byte-exact delivery both ways, recovery mixed with JSON, malformed frames. */
@Timeout(60)
class BinaryTest extends LiveNodeTest {
  /** Every byte value once, 0x00 and 0xFF included. */
  private static final byte[] ALL_BYTES = new byte[256];

  static {
    for (int i = 0; i < 256; i++) {
      ALL_BYTES[i] = (byte) i;
    }
  }

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.put("history", new JsonObject().put("size", 50).put("ttlSeconds", 600));
    startNode(config);
  }

  private static WsClient open(String user) {
    return WsClient.open(vertx, node.wsUrl("token=" + node.token(user)));
  }

  private static long postBytes(String channel, byte[] body) {
    Http.Response r = Http.postBytes(node.httpBase() + "/api/v1/apps/100/publish?channel=" + channel, TestNode.API_KEY, body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject result = r.json().getJsonArray("results").getJsonObject(0);
    assertThat(result.getString("channel")).isEqualTo(channel);
    return result.getLong("offset");
  }

  private static long postJson(String channel, Object data) {
    Http.Response r = Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
        new JsonObject().put("channel", channel).put("data", data).encode());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("results").getJsonObject(0).getLong("offset");
  }

  @Test
  void httpOctetStreamArrivesByteExactAsABinaryFrame() {
    try (WsClient c = open("scott")) {
      c.subscribe("bin/http");
      long o1 = postBytes("bin/http", ALL_BYTES);
      long o2 = postBytes("bin/http", new byte[0]);
      long o3 = postBytes("bin/http", new byte[] {0});
      JsonObject m1 = c.next("message");
      assertThat(m1.getBoolean("binary")).isTrue();
      assertThat(m1.getString("channel")).isEqualTo("bin/http");
      assertThat(m1.getLong("offset")).isEqualTo(o1);
      assertThat(m1.getBinary("bytes")).isEqualTo(ALL_BYTES);
      JsonObject m2 = c.next("message");
      assertThat(m2.getLong("offset")).isEqualTo(o2);
      assertThat(m2.getBinary("bytes")).isEmpty();
      JsonObject m3 = c.next("message");
      assertThat(m3.getLong("offset")).isEqualTo(o3);
      assertThat(m3.getBinary("bytes")).containsExactly(0);
    }
    // the history endpoint shows binary messages as base64 with "binary": true
    Http.Response h = Http.get(node.httpBase() + "/api/v1/apps/100/history?channel=bin/http", TestNode.API_KEY);
    assertThat(h.status()).isEqualTo(200);
    JsonArray messages = h.json().getJsonArray("messages");
    assertThat(messages).hasSize(3);
    assertThat(messages.getJsonObject(0).getBoolean("binary")).isTrue();
    assertThat(Base64.getDecoder().decode(messages.getJsonObject(0).getString("data"))).isEqualTo(ALL_BYTES);
    assertThat(messages.getJsonObject(1).getString("data")).isEmpty();
  }

  @Test
  void clientToClientBinaryIsByteExactAndAckedWithItsId() {
    try (WsClient sender = open("scott"); WsClient receiver = open("adams")) {
      receiver.subscribe("bin/chat");
      sender.subscribe("bin/chat");
      JsonObject ack = sender.publishBinary("bin/chat", ALL_BYTES);
      assertThat(ack.getString("type")).isEqualTo("ack");
      JsonObject got = receiver.next("message");
      assertThat(got.getBoolean("binary")).isTrue();
      assertThat(got.getLong("offset")).isEqualTo(ack.getLong("offset"));
      assertThat(got.getBinary("bytes")).isEqualTo(ALL_BYTES);
      // the sender, subscribed too, gets the same frame
      assertThat(sender.next("message").getBinary("bytes")).isEqualTo(ALL_BYTES);

      JsonObject emptyAck = sender.publishBinary("bin/chat", new byte[0]);
      assertThat(emptyAck.getString("type")).isEqualTo("ack");
      JsonObject empty = receiver.next("message");
      assertThat(empty.getLong("offset")).isEqualTo(emptyAck.getLong("offset"));
      assertThat(empty.getBinary("bytes")).isEmpty();

      // a fragmented binary message is reassembled
      byte[] frame = WsClient.encodeBinary("bin/chat", 4242, new byte[] {(byte) 0xff, 0, (byte) 0xff});
      sender.ws.writeFrame(io.vertx.core.http.WebSocketFrame.binaryFrame(
          io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOfRange(frame, 0, 5)), false));
      sender.ws.writeFrame(io.vertx.core.http.WebSocketFrame.continuationFrame(
          io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOfRange(frame, 5, frame.length)), true));
      assertThat(sender.replyTo(4242).getString("type")).isEqualTo("ack");
      assertThat(receiver.next("message").getBinary("bytes")).containsExactly(0xff, 0, 0xff);
    }
  }

  @Test
  void recoveryReplaysBinaryAndJsonInOrderWithoutDuplicates() {
    long lastSeen;
    String epoch;
    try (WsClient c = open("scott")) {
      epoch = c.subscribe("bin/recover").getString("epoch");
      postJson("bin/recover", 0);
      postBytes("bin/recover", new byte[] {1});
      c.next("message");
      lastSeen = c.next("message").getLong("offset");
    }
    // missed while away: JSON and binary interleaved
    List<Long> missed = new ArrayList<>();
    for (int i = 2; i < 8; i++) {
      missed.add(i % 2 == 0 ? postJson("bin/recover", i) : postBytes("bin/recover", new byte[] {(byte) i, (byte) 0xff}));
    }
    try (WsClient c = open("scott")) {
      JsonObject sub = c.request(new JsonObject().put("type", "subscribe").put("channel", "bin/recover")
          .put("since", new JsonObject().put("offset", lastSeen).put("epoch", epoch)));
      assertThat(sub.getBoolean("recovered")).isTrue();
      long live = postBytes("bin/recover", new byte[] {8});
      List<Long> offsets = new ArrayList<>();
      for (int i = 2; i <= 8; i++) {
        JsonObject m = c.next("message");
        offsets.add(m.getLong("offset"));
        if (i % 2 == 0 && i < 8) {
          assertThat(m.getBoolean("binary", false)).isFalse();
          assertThat(m.getInteger("data")).isEqualTo(i);
        } else {
          assertThat(m.getBoolean("binary")).isTrue();
          assertThat(m.getBinary("bytes")).isEqualTo(i == 8 ? new byte[] {8} : new byte[] {(byte) i, (byte) 0xff});
        }
      }
      List<Long> expected = new ArrayList<>(missed);
      expected.add(live);
      assertThat(offsets).isEqualTo(expected);
      assertThat(c.drain(300)).noneMatch(f -> "message".equals(f.getString("type")));
    }
  }

  @Test
  void malformedBinaryFramesAreBadRequestsAndTheConnectionStaysOpen() {
    try (WsClient c = open("scott")) {
      // wrong version: the rest of the header cannot be trusted, so no id
      byte[] v2 = WsClient.encodeBinary("bin/x", 5, new byte[] {1});
      v2[0] = 2;
      c.sendBinary(v2);
      JsonObject e = c.next("error");
      assertThat(e.getString("code")).isEqualTo("bad_request");
      assertThat(e.containsKey("id")).isFalse();
      // header shorter than 11 bytes
      c.sendBinary(new byte[] {1, 0, 0, 0, 0});
      assertThat(c.next("error").getString("code")).isEqualTo("bad_request");
      // channel length beyond the frame
      c.sendBinary(ByteBuffer.allocate(20).put((byte) 1).putShort((short) 300).array());
      assertThat(c.next("error").getString("code")).isEqualTo("bad_request");
      // bad channel name, id readable
      c.sendBinary(WsClient.encodeBinary("a//b", 9, new byte[] {1}));
      JsonObject bad = c.replyTo(9);
      assertThat(bad.getString("code")).isEqualTo("bad_request");
      // channel not UTF-8, id readable
      byte[] notUtf8 = ByteBuffer.allocate(11 + 2).put((byte) 1).putShort((short) 2).put(new byte[] {(byte) 0xc3, (byte) 0x28})
          .putLong(10).array();
      c.sendBinary(notUtf8);
      assertThat(c.replyTo(10).getString("code")).isEqualTo("bad_request");
      assertThat(c.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void binaryPublishNeedsAGrant() {
    String token = node.token("reader", new JsonArray().add("**"), new JsonArray().add("mine/**"));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + token))) {
      assertThat(c.publishBinary("bin/other", new byte[] {1}).getString("code")).isEqualTo("forbidden");
      assertThat(c.publishBinary("mine/1", "ok".getBytes(StandardCharsets.UTF_8)).getString("type")).isEqualTo("ack");
    }
    Http.Response r = Http.postBytes(node.httpBase() + "/api/v1/apps/100/publish?channel=bin/other", token, new byte[] {1});
    assertThat(r.status()).isEqualTo(403);
    Http.Response noChannel = Http.postBytes(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY, new byte[] {1});
    assertThat(noChannel.status()).isEqualTo(400);
  }
}
