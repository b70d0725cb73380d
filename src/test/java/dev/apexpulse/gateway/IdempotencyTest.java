package dev.apexpulse.gateway;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import dev.apexpulse.channel.IdempotencyKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code idempotencyKey} on a standalone node: the same key twice gives one delivery and the same
 * offset, over HTTP (JSON and binary) and over the socket; keys are per channel; bad keys are refused.
 */
@Timeout(60)
class IdempotencyTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    startNode(TestNode.config());
  }

  private static Http.Response post(JsonObject body) {
    return Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY, body.encode());
  }

  private static long offset(Http.Response r, int i) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("results").getJsonObject(i).getLong("offset");
  }

  /** The next message is the one with this offset, and then the marker published now: nothing in between. */
  private static void receivesOnly(WsClient c, String channel, long offset) {
    assertThat(c.next("message").getLong("offset")).isEqualTo(offset);
    long marker = offset(post(new JsonObject().put("channel", channel).put("data", "marker")), 0);
    assertThat(c.next("message").getLong("offset")).as("no second delivery before the marker").isEqualTo(marker);
  }

  @Test
  void theSameKeyTwiceOverHttpPublishesOnceAndAnswersTheSameOffset() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("sam")))) {
      c.subscribe("orders/1");
      JsonObject body = new JsonObject().put("channel", "orders/1").put("data", "paid").put("idempotencyKey", "order-1-paid");
      long first = offset(post(body), 0);
      long again = offset(post(body), 0);
      assertThat(again).isEqualTo(first);
      // in a batch too, even twice within one batch
      JsonObject batch = new JsonObject().put("messages", new JsonArray().add(body)
          .add(new JsonObject().put("channel", "orders/1").put("data", "shipped").put("idempotencyKey", "order-1-shipped"))
          .add(new JsonObject().put("channel", "orders/1").put("data", "shipped").put("idempotencyKey", "order-1-shipped")));
      Http.Response r = post(batch);
      assertThat(offset(r, 0)).isEqualTo(first);
      long shipped = offset(r, 1);
      assertThat(offset(r, 2)).isEqualTo(shipped);
      assertThat(c.next("message").getLong("offset")).isEqualTo(first);
      receivesOnly(c, "orders/1", shipped);
    }
  }

  @Test
  void theSameKeyTwiceOverTheSocketPublishesOnceAndAcksTheSameOffset() {
    try (WsClient sub = WsClient.open(vertx, node.wsUrl("token=" + node.token("sue")));
         WsClient pub = WsClient.open(vertx, node.wsUrl("token=" + node.token("pat")))) {
      sub.subscribe("chat/9");
      JsonObject frame = new JsonObject().put("type", "publish").put("channel", "chat/9").put("data", "hi").put("idempotencyKey", "m-1");
      JsonObject first = pub.request(frame);
      JsonObject again = pub.request(frame);
      assertThat(first.getString("type")).as("%s", first).isEqualTo("ack");
      assertThat(again.getLong("offset")).isEqualTo(first.getLong("offset"));
      receivesOnly(sub, "chat/9", first.getLong("offset"));
      // the same key over HTTP, on the same channel: also the same message
      assertThat(offset(post(new JsonObject().put("channel", "chat/9").put("data", "hi").put("idempotencyKey", "m-1")), 0))
          .isEqualTo(first.getLong("offset"));
    }
  }

  @Test
  void aClientKeyCannotPreemptAnOutboxRow() throws Exception {
    for (String key : new String[] {"o:17", "17"}) {
      assertThat(offset(post(new JsonObject().put("channel", "rows/x").put("data", "client").put("idempotencyKey", key)), 0)).isPositive();
    }
    // the outbox publishes row 17 with the row's own key: not a repeat of the client's
    long row = node.node.publisher().publishJson(TestNode.APP, "rows/x", "\"row 17\"", null, IdempotencyKey.outboxRow(17))
        .await(10, TimeUnit.SECONDS).offset();
    assertThat(row).isEqualTo(3);
  }

  @Test
  void aBinaryHttpPublishTakesTheKeyAsAParameter() {
    String url = node.httpBase() + "/api/v1/apps/100/publish?channel=files/1&idempotencyKey=upload-1";
    long first = offset(Http.postBytes(url, TestNode.API_KEY, new byte[] {1, 2}), 0);
    assertThat(offset(Http.postBytes(url, TestNode.API_KEY, new byte[] {1, 2}), 0)).isEqualTo(first);
    assertThat(Http.get(node.httpBase() + "/api/v1/apps/100/history?channel=files/1", TestNode.API_KEY).json()
        .getJsonArray("messages")).hasSize(1);
  }

  @Test
  void keysArePerChannelAndBadKeysAreRefused() {
    long a = offset(post(new JsonObject().put("channel", "k/a").put("data", 1).put("idempotencyKey", "same")), 0);
    long b = offset(post(new JsonObject().put("channel", "k/b").put("data", 1).put("idempotencyKey", "same")), 0);
    assertThat(a).isEqualTo(1);
    assertThat(b).as("another channel: another message").isEqualTo(1);
    assertThat(offset(post(new JsonObject().put("channel", "k/a").put("data", 2)), 0)).isEqualTo(2);
    for (Object bad : new Object[] {"", "x".repeat(65), 42, new JsonObject()}) {
      Http.Response r = post(new JsonObject().put("channel", "k/a").put("data", 1).put("idempotencyKey", bad));
      assertThat(r.status()).as("%s", bad).isEqualTo(400);
      assertThat(r.json().getJsonObject("error").getString("message")).contains("idempotencyKey");
    }
    assertThat(offset(post(new JsonObject().put("channel", "k/a").put("data", 1).put("idempotencyKey", "x".repeat(64))), 0))
        .isEqualTo(3);
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("kim")))) {
      JsonObject bad = c.request(new JsonObject().put("type", "publish").put("channel", "k/a").put("data", 1).put("idempotencyKey", 7));
      assertThat(bad.getString("code")).isEqualTo("bad_request");
    }
  }
}
