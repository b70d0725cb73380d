package dev.apexpulse.gateway;

import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every message type of protocol v1 against a live node, with real WebSocket clients. */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class ProtocolTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    startNode(TestNode.config());
  }


  @Test
  void welcomeNamesConnectionNodeAndHeartbeat() {
    try (WsClient c = WsClient.connect(vertx, node.wsUrl("token=" + node.token("scott")))) {
      JsonObject welcome = c.next("welcome");
      assertThat(welcome.getString("connection")).startsWith("c-");
      assertThat(welcome.getString("node")).isEqualTo(node.node.config().nodeId());
      assertThat(welcome.getInteger("heartbeat")).isEqualTo(25);
    }
  }

  @Test
  void subscribePublishDeliversMessageWithOffsetAndFrom() {
    try (WsClient a = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")));
         WsClient b = WsClient.open(vertx, node.wsUrl("token=" + node.token("king")))) {
      JsonObject sub = b.subscribe("/dashboard/department/3");
      assertThat(sub.getString("type")).isEqualTo("subscribed");
      assertThat(sub.getString("channel")).isEqualTo("dashboard/department/3");
      assertThat(sub.getBoolean("recovered")).isTrue();
      long start = sub.getLong("offset");
      String epoch = sub.getString("epoch");
      assertThat(epoch).isNotBlank();

      JsonObject ack = a.publish("dashboard/department/3", new JsonObject().put("orders", 42));
      assertThat(ack.getString("type")).isEqualTo("ack");
      assertThat(ack.getLong("offset")).isEqualTo(start + 1);

      JsonObject msg = b.next("message");
      assertThat(msg.getString("channel")).isEqualTo("dashboard/department/3");
      assertThat(msg.getLong("offset")).isEqualTo(start + 1);
      assertThat(msg.getJsonObject("data")).isEqualTo(new JsonObject().put("orders", 42));
      assertThat(msg.getString("from")).isEqualTo("scott");
    }
  }

  @Test
  void unsubscribeStopsDelivery() {
    try (WsClient a = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      a.subscribe("chat/room/1");
      JsonObject un = a.request(new JsonObject().put("type", "unsubscribe").put("channel", "chat/room/1"));
      assertThat(un.getString("type")).isEqualTo("unsubscribed");
      assertThat(un.getString("channel")).isEqualTo("chat/room/1");
      a.publish("chat/room/1", "nobody hears this");
      assertThat(a.drain(300)).noneMatch(f -> "message".equals(f.getString("type")));
    }
  }

  @Test
  void pingIsAnsweredWithPong() {
    try (WsClient a = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      a.send(new JsonObject().put("type", "ping").put("id", 6));
      assertThat(a.next("pong").getLong("id")).isEqualTo(6);
    }
  }

  @Test
  void presenceListsUsersOnceAndJoinLeaveEventsReachSubscribers() {
    try (WsClient watcher = WsClient.open(vertx, node.wsUrl("token=" + node.token("watcher")));
         WsClient scott1 = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      watcher.subscribe("chat/room/7");
      assertThat(watcher.next("join").getString("user")).isEqualTo("watcher");
      scott1.subscribe("chat/room/7");
      JsonObject join = watcher.next("join");
      assertThat(join.getString("user")).isEqualTo("scott");
      assertThat(join.getString("channel")).isEqualTo("chat/room/7");
      try (WsClient scott2 = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
        scott2.subscribe("chat/room/7");
        JsonObject presence = watcher.request(new JsonObject().put("type", "presence").put("channel", "chat/room/7"));
        assertThat(presence.getInteger("count")).isEqualTo(2);
        assertThat(presence.getInteger("connections")).isEqualTo(3);
        List<String> users = presence.getJsonArray("clients").stream().map(o -> ((JsonObject) o).getString("user")).sorted().toList();
        assertThat(users).containsExactly("scott", "watcher");
      }
      // scott still has a connection: no leave yet
      assertThat(watcher.drain(200)).noneMatch(f -> "leave".equals(f.getString("type")));
      scott1.close();
      assertThat(watcher.next("leave").getString("user")).isEqualTo("scott");
    }
  }

  @Test
  void messagesArriveInOffsetOrderFromManyPublishers() {
    try (WsClient sub = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
      long start = sub.subscribe("race/1").getLong("offset");
      List<WsClient> publishers = new java.util.ArrayList<>();
      try {
        for (int p = 0; p < 4; p++) {
          publishers.add(WsClient.open(vertx, node.wsUrl("token=" + node.token("p" + p))));
        }
        for (int i = 0; i < 40; i++) {
          for (WsClient p : publishers) {
            p.send(new JsonObject().put("type", "publish").put("channel", "race/1").put("data", i));
          }
        }
        long expected = start + 1;
        while (expected <= start + 160) {
          JsonObject f = sub.poll();
          if ("message".equals(f.getString("type"))) {
            assertThat(f.getLong("offset")).isEqualTo(expected++);
          }
        }
      } finally {
        publishers.forEach(WsClient::close);
      }
    }
  }

  @Test
  void anonymousConnectionsReadOnlyTheirChannels() {
    try (WsClient anon = WsClient.open(vertx, node.wsUrl("app=100"))) {
      assertThat(anon.subscribe("public/news").getString("type")).isEqualTo("subscribed");
      JsonObject denied = anon.subscribe("dashboard/department/3");
      assertThat(denied.getString("code")).isEqualTo("forbidden");
      JsonObject pub = anon.publish("public/news", "hi");
      assertThat(pub.getString("code")).isEqualTo("forbidden");
    }
  }

  @Test
  void anonymousConnectionsCannotAuthenticateLater() {
    try (WsClient anon = WsClient.open(vertx, node.wsUrl("app=100"))) {
      JsonObject reply = anon.request(new JsonObject().put("type", "auth").put("token", node.token("anonymous")));
      assertThat(reply.getString("code")).isEqualTo("forbidden");
      assertThat(anon.subscribe("dashboard/x").getString("code")).isEqualTo("forbidden");
    }
  }

  @Test
  void aOneLetterNodeIdStillNamesConnections() {
    JsonObject config = TestNode.config();
    config.put("node", new JsonObject().put("id", "a"));
    try (TestNode small = TestNode.start(config);
         WsClient c = WsClient.connect(vertx, small.wsUrl("token=" + small.token("scott")))) {
      assertThat(c.next("welcome").getString("connection")).startsWith("c-a-");
    }
  }

  @Test
  void grantsHonourStarDoubleStarAndSubject() {
    JsonArray sub = new JsonArray().add("dashboard/*/3").add("chat/**").add("user/{sub}");
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott", sub, new JsonArray().add("chat/**"))))) {
      assertThat(c.subscribe("dashboard/department/3").getString("type")).isEqualTo("subscribed");
      assertThat(c.subscribe("dashboard/department/4").getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe("dashboard/a/b/3").getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe("chat/room/7/thread/2").getString("type")).isEqualTo("subscribed");
      assertThat(c.subscribe("chat").getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe("user/scott").getString("type")).isEqualTo("subscribed");
      assertThat(c.subscribe("user/king").getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe("user/scott/private").getString("code")).isEqualTo("forbidden");
      assertThat(c.publish("dashboard/department/3", 1).getString("code")).isEqualTo("forbidden");
      assertThat(c.publish("chat/room/7", 1).getString("type")).isEqualTo("ack");
    }
  }
}
