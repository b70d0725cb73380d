package dev.apexpulse.gateway;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Channel options on a standalone node: a cache channel's last value right after {@code subscribed}, an
 * ephemeral channel that keeps nothing, per-pattern history size and TTL, presence and join/leave off,
 * and the options as the HTTP API lists them.
 */
@Timeout(60)
class ChannelOptionsTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("apps").getJsonObject(TestNode.APP).put("channels", new JsonArray()
        .add(new JsonObject().put("pattern", "dash/**").put("cache", true)
            .put("history", new JsonObject().put("size", 3)))
        .add(new JsonObject().put("pattern", "typing/**").put("ephemeral", true))
        .add(new JsonObject().put("pattern", "chat/**").put("history", new JsonObject().put("size", 5)))
        .add(new JsonObject().put("pattern", "brief/**").put("history", new JsonObject().put("ttlSeconds", 1)))
        .add(new JsonObject().put("pattern", "quiet/**").put("presence", false).put("joinLeave", false)));
    startNode(config);
  }

  private static JsonObject publish(String channel, Object data) {
    Http.Response r = Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
        new JsonObject().put("channel", channel).put("data", data).encode());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("results").getJsonObject(0);
  }

  private static JsonObject history(String channel) {
    Http.Response r = Http.get(node.httpBase() + "/api/v1/apps/100/history?channel=" + channel, TestNode.API_KEY);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static WsClient client(String user) {
    return WsClient.open(vertx, node.wsUrl("token=" + node.token(user)));
  }

  private static JsonObject subscribeSince(WsClient c, String channel, long offset, String epoch) {
    return c.request(new JsonObject().put("type", "subscribe").put("channel", channel)
        .put("since", new JsonObject().put("offset", offset).put("epoch", epoch)));
  }

  /** No message frame before the marker that is published now: nothing else was queued for the channel. */
  private static void nothingElseOn(WsClient c, String channel) {
    long marker = publish(channel, "marker").getLong("offset");
    JsonObject next = c.next("message");
    assertThat(next.getLong("offset")).as("the next message is the marker: %s", next).isEqualTo(marker);
  }

  @Test
  void aCacheChannelsLastValueArrivesRightAfterSubscribedEvenWithoutSince() {
    publish("dash/orders", new JsonObject().put("orders", 1));
    long last = publish("dash/orders", new JsonObject().put("orders", 2)).getLong("offset");
    try (WsClient c = client("dana")) {
      JsonObject sub = c.subscribe("dash/orders");
      assertThat(sub.getLong("offset")).isEqualTo(last);
      assertThat(sub.getBoolean("cache")).isTrue();
      assertThat(sub.getBoolean("recovered")).isTrue();
      JsonObject m = c.poll();
      assertThat(m.getString("type")).as("the frame right after subscribed: %s", m).isEqualTo("message");
      assertThat(m.getLong("offset")).isEqualTo(last);
      assertThat(m.getJsonObject("data").getInteger("orders")).isEqualTo(2);
      nothingElseOn(c, "dash/orders");
    }
  }

  @Test
  void withSinceACacheChannelRecoversAsAnyChannelAndSendsTheLastValueOnlyWhenRecoveryFails() {
    publish("dash/recover", 1);
    String epoch = history("dash/recover").getString("epoch");
    long second = publish("dash/recover", 2).getLong("offset");
    try (WsClient c = client("dora")) {
      // up to date: nothing to replay, and no copy of what it has
      JsonObject sub = subscribeSince(c, "dash/recover", second, epoch);
      assertThat(sub.getBoolean("recovered")).isTrue();
      nothingElseOn(c, "dash/recover");
    }
    try (WsClient c = client("dora")) {
      // one behind: the missed messages, once each, as recovery always did
      long top = history("dash/recover").getLong("offset");
      assertThat(subscribeSince(c, "dash/recover", top - 1, epoch).getBoolean("recovered")).isTrue();
      assertThat(c.next("message").getLong("offset")).isEqualTo(top);
      nothingElseOn(c, "dash/recover");
    }
    try (WsClient c = client("dora")) {
      // history cannot serve it (another epoch): recovered:false, and the last value to show at once
      long top = history("dash/recover").getLong("offset");
      JsonObject sub = subscribeSince(c, "dash/recover", 1, "another-epoch");
      assertThat(sub.getBoolean("recovered")).isFalse();
      assertThat(c.next("message").getLong("offset")).isEqualTo(top);
    }
  }

  @Test
  void aCacheChannelWithoutMessagesAndAPlainChannelSendNothingOnSubscribe() {
    publish("plain/x", 1);
    try (WsClient c = client("paul")) {
      assertThat(c.subscribe("dash/never-published").getLong("offset")).isZero();
      JsonObject plain = c.subscribe("plain/x");
      assertThat(plain.containsKey("cache")).isFalse();
      nothingElseOn(c, "plain/x");
    }
  }

  @Test
  void anEphemeralChannelHasNoOffsetsAndKeepsNoHistory() {
    try (WsClient sub = client("ella"); WsClient pub = client("eric")) {
      JsonObject subscribed = sub.subscribe("typing/room/1");
      assertThat(subscribed.getBoolean("ephemeral")).isTrue();
      assertThat(subscribed.getBoolean("recovered")).isTrue();
      assertThat(subscribed.containsKey("offset")).isFalse();
      assertThat(subscribed.containsKey("epoch")).isFalse();
      JsonObject ack = pub.publish("typing/room/1", new JsonObject().put("typing", true));
      assertThat(ack.getString("type")).isEqualTo("ack");
      assertThat(ack.containsKey("offset")).as("%s", ack).isFalse();
      JsonObject m = sub.next("message");
      assertThat(m.containsKey("offset")).as("%s", m).isFalse();
      assertThat(m.getString("from")).isEqualTo("eric");
      assertThat(m.getJsonObject("data").getBoolean("typing")).isTrue();
      JsonObject http = publish("typing/room/1", "over http");
      assertThat(http.containsKey("offset")).as("%s", http).isFalse();
      assertThat(sub.next("message").getString("data")).isEqualTo("over http");
      // a binary message carries offset 0: none
      assertThat(Http.postBytes(node.httpBase() + "/api/v1/apps/100/publish?channel=typing/room/1", TestNode.API_KEY,
          "b".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
      JsonObject binary = sub.next("message");
      assertThat(binary.getBoolean("binary")).isTrue();
      assertThat(binary.getLong("offset")).isZero();

      JsonObject h = history("typing/room/1");
      assertThat(h.getJsonArray("messages")).isEmpty();
      assertThat(h.getBoolean("recovered")).isTrue();
      assertThat(h.containsKey("epoch")).isFalse();
      JsonObject overSocket = sub.request(new JsonObject().put("type", "history").put("channel", "typing/room/1"));
      assertThat(overSocket.getString("type")).isEqualTo("history");
      assertThat(overSocket.getJsonArray("messages")).isEmpty();
      // nothing can be recovered: recovered:false to a client that asks
      JsonObject since = subscribeSince(pub, "typing/room/1", 3, "e");
      assertThat(since.getBoolean("recovered")).isFalse();
    }
  }

  @Test
  void historySizeAndTtlArePerPattern() {
    for (int i = 1; i <= 8; i++) {
      publish("chat/room/1", i);
      publish("other/room/1", i);
    }
    List<Object> kept = history("chat/room/1").getJsonArray("messages").stream()
        .map(o -> ((JsonObject) o).getValue("data")).toList();
    assertThat(kept).containsExactly(4, 5, 6, 7, 8);
    assertThat(history("other/room/1").getJsonArray("messages")).hasSize(8);

    publish("brief/news", "soon gone");
    assertThat(history("brief/news").getJsonArray("messages")).hasSize(1);
    Await.until("brief/** keeps a message 1 s", 10_000, () -> history("brief/news").getJsonArray("messages").isEmpty());
    assertThat(history("other/room/1").getJsonArray("messages")).hasSize(8);
  }

  @Test
  void presenceOffRefusesPresenceRequestsAndJoinLeaveOffSendsNoEvents() {
    try (WsClient watcher = client("wanda"); WsClient other = client("otto")) {
      watcher.subscribe("quiet/room");
      JsonObject refused = watcher.request(new JsonObject().put("type", "presence").put("channel", "quiet/room"));
      assertThat(refused.getString("code")).isEqualTo("forbidden");
      assertThat(refused.getString("message")).contains("presence is off for quiet/room");
      Http.Response http = Http.get(node.httpBase() + "/api/v1/apps/100/presence?channel=quiet/room", TestNode.API_KEY);
      assertThat(http.status()).isEqualTo(403);
      assertThat(http.json().getJsonObject("error").getString("message")).contains("presence is off");

      other.subscribe("quiet/room");
      assertThat(watcher.drain(300)).as("no join on quiet/**").noneMatch(f -> "join".equals(f.getString("type")));
      // elsewhere presence and join events are as before
      watcher.subscribe("loud/room");
      assertThat(watcher.next("join").getString("user")).isEqualTo("wanda");
      assertThat(watcher.request(new JsonObject().put("type", "presence").put("channel", "loud/room")).getInteger("count")).isEqualTo(1);
    }
  }

  @Test
  void theHttpApiListsTheOptionsAsConfiguredForTheApiKeyOnly() {
    Http.Response r = Http.get(node.httpBase() + "/api/v1/apps/100/channels/options", TestNode.API_KEY);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray channels = r.json().getJsonArray("channels");
    assertThat(channels).hasSize(5);
    assertThat(channels.getJsonObject(0).encode())
        .isEqualTo("{\"pattern\":\"dash/**\",\"cache\":true,\"history\":{\"size\":3}}");
    assertThat(channels.getJsonObject(1).encode()).isEqualTo("{\"pattern\":\"typing/**\",\"ephemeral\":true}");
    assertThat(r.json().getJsonObject("defaults").encode()).isEqualTo(
        "{\"cache\":false,\"ephemeral\":false,\"history\":{\"size\":100,\"ttlSeconds\":600},\"presence\":true,\"joinLeave\":true,\"delta\":\"none\"}");
    assertThat(Http.get(node.httpBase() + "/api/v1/apps/100/channels/options", node.token("jay")).status()).isEqualTo(403);
  }
}
