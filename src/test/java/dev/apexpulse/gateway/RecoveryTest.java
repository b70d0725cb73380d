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

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code since}: missed messages are replayed in order before live ones, none twice, or recovered:false. */
@Timeout(60)
class RecoveryTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.put("history", new JsonObject().put("size", 20).put("ttlSeconds", 600));
    startNode(config);
  }


  private static void publish(String channel, int from, int to) {
    JsonArray batch = new JsonArray();
    for (int i = from; i < to; i++) {
      batch.add(new JsonObject().put("channel", channel).put("data", i));
    }
    assertThat(Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
        new JsonObject().put("messages", batch).encode()).status()).isEqualTo(200);
  }

  private static JsonObject subscribeSince(WsClient c, String channel, long offset, String epoch) {
    return c.request(new JsonObject().put("type", "subscribe").put("channel", channel)
        .put("since", new JsonObject().put("offset", offset).put("epoch", epoch)));
  }

  @Test
  void replaysTheGapThenLiveMessagesWithoutDuplicates() {
    long lastSeen;
    String epoch;
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      JsonObject sub = c.subscribe("chat/room/7");
      epoch = sub.getString("epoch");
      publish("chat/room/7", 0, 5);
      JsonObject last = null;
      for (int i = 0; i < 5; i++) {
        last = c.next("message");
      }
      lastSeen = last.getLong("offset");
    }
    publish("chat/room/7", 5, 12); // missed while away
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      JsonObject sub = subscribeSince(c, "chat/room/7", lastSeen, epoch);
      assertThat(sub.getBoolean("recovered")).isTrue();
      assertThat(sub.getString("epoch")).isEqualTo(epoch);
      assertThat(sub.getLong("offset")).isEqualTo(lastSeen + 7);
      publish("chat/room/7", 12, 15); // live, right behind the replay
      List<Integer> data = new ArrayList<>();
      long expected = lastSeen + 1;
      for (int i = 0; i < 10; i++) {
        JsonObject m = c.next("message");
        assertThat(m.getLong("offset")).isEqualTo(expected++);
        data.add(m.getInteger("data"));
      }
      assertThat(data).containsExactly(5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
      assertThat(c.drain(200)).noneMatch(f -> "message".equals(f.getString("type")));
    }
  }

  @Test
  void noGapRecoversWithNothingToReplay() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      JsonObject first = c.subscribe("quiet/1");
      c.close();
      try (WsClient again = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
        JsonObject sub = subscribeSince(again, "quiet/1", first.getLong("offset"), first.getString("epoch"));
        assertThat(sub.getBoolean("recovered")).isTrue();
        assertThat(again.drain(200)).noneMatch(f -> "message".equals(f.getString("type")));
      }
    }
  }

  @Test
  void gapLongerThanHistoryOrWrongEpochIsNotRecovered() {
    String epoch;
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      epoch = c.subscribe("busy/1").getString("epoch");
    }
    publish("busy/1", 0, 30); // history keeps 20
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      JsonObject sub = subscribeSince(c, "busy/1", 0, epoch);
      assertThat(sub.getBoolean("recovered")).isFalse();
      assertThat(sub.getLong("offset")).isEqualTo(30);
      publish("busy/1", 30, 31);
      assertThat(c.next("message").getLong("offset")).isEqualTo(31);
    }
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      assertThat(subscribeSince(c, "busy/1", 25, "another-epoch").getBoolean("recovered")).isFalse();
      // from the future: cannot be right
      assertThat(subscribeSince(c, "busy/2", 99, epoch).getBoolean("recovered")).isFalse();
    }
  }
}
