package dev.apexpulse.gateway;

import dev.apexpulse.support.Dashboards;
import dev.apexpulse.support.DeltaReader;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delta compression on a real node: subscribers that ask for it ({@code "delta":true}) on a channel that
 * allows it get the first message in full, then Fossil deltas against the previous message's data, which
 * the npm package fossil-delta (an independent decoder) turns into exactly the published data; full
 * messages after a gap and in a recovery; nothing changes for subscribers that do not ask.
 */
@Timeout(120)
class DeltaTest extends LiveNodeTest {
  private static final String PUBLISH = "/api/v1/apps/100/publish";

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    // the app's channels allow deltas, but for plain/** (a channel option)
    config.getJsonObject("apps").getJsonObject(TestNode.APP).put("delta", "fossil")
        .put("channels", new JsonArray().add(new JsonObject().put("pattern", "plain/**").put("delta", "none")));
    startNode(config);
  }

  private static JsonObject subscribe(WsClient c, String channel, Boolean delta, JsonObject since) {
    JsonObject frame = new JsonObject().put("type", "subscribe").put("channel", channel);
    if (delta != null) {
      frame.put("delta", delta);
    }
    return c.request(since == null ? frame : frame.put("since", since));
  }

  /** Publishes {@code count} pushes of one dashboard, one number changed each; returns offset → data text. */
  private static Map<Long, String> push(String channel, JsonObject first, int count, Random r) {
    Map<Long, String> texts = new HashMap<>();
    JsonObject d = first;
    for (int i = 0; i < count; i++) {
      JsonObject body = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("channel", channel).put("data", d)));
      Http.Response res = Http.post(node.httpBase() + PUBLISH, TestNode.API_KEY, body.encode());
      assertThat(res.status()).isEqualTo(200);
      texts.put(new JsonObject(res.body()).getJsonArray("results").getJsonObject(0).getLong("offset"), d.encode());
      d = Dashboards.oneNumberChanged(d, r);
    }
    return texts;
  }

  @Test
  void theFirstMessageIsFullThenDeltasThatAnIndependentDecoderTurnsIntoThePublishedData() throws Exception {
    Random r = new Random(1);
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott"))).keepTexts()) {
      assertThat(subscribe(c, "dashboard/1", true, null).getBoolean("delta")).isTrue();
      Map<Long, String> published = push("dashboard/1", Dashboards.dashboard(r), 30, r);
      DeltaReader reader = new DeltaReader();
      List<JsonObject> frames = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        JsonObject f = c.next("message");
        frames.add(f);
        reader.read(c, f, published);
      }
      assertThat(reader.full()).isEqualTo(1);
      assertThat(frames.get(0).containsKey("data")).isTrue();
      assertThat(reader.deltas).hasSize(29);
      reader.assertDecodes();
      int full = c.text(frames.get(0)).getBytes(StandardCharsets.UTF_8).length;
      for (JsonObject f : frames.subList(1, 30)) {
        assertThat(c.text(f).getBytes(StandardCharsets.UTF_8).length).isLessThan(full / 10);
      }
    }
  }

  @Test
  void aSocketPublishCarriesFromBesideTheDelta() throws Exception {
    Random r = new Random(2);
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott"))).keepTexts()) {
      subscribe(c, "dashboard/from", true, null);
      Map<Long, String> published = new HashMap<>();
      DeltaReader reader = new DeltaReader();
      JsonObject d = Dashboards.dashboard(r);
      for (int i = 0; i < 5; i++) {
        long offset = c.publish("dashboard/from", d).getLong("offset");
        published.put(offset, d.encode());
        JsonObject f = c.next("message");
        assertThat(f.getString("from")).isEqualTo("scott");
        reader.read(c, f, published);
        d = Dashboards.oneNumberChanged(d, r);
      }
      assertThat(reader.full()).isEqualTo(1);
      reader.assertDecodes();
    }
  }

  @Test
  void aSubscriberThatAsksForNoDeltaGetsEveryMessageInFullOnADeltaChannel() throws Exception {
    Random r = new Random(3);
    try (WsClient plain = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")));
         WsClient off = WsClient.open(vertx, node.wsUrl("token=" + node.token("king")));
         WsClient delta = WsClient.open(vertx, node.wsUrl("token=" + node.token("adams"))).keepTexts()) {
      assertThat(subscribe(plain, "dashboard/2", null, null).containsKey("delta")).isFalse();
      assertThat(subscribe(off, "dashboard/2", false, null).containsKey("delta")).isFalse();
      subscribe(delta, "dashboard/2", true, null);
      Map<Long, String> published = push("dashboard/2", Dashboards.dashboard(r), 10, r);
      DeltaReader reader = new DeltaReader();
      for (int i = 0; i < 10; i++) {
        for (WsClient c : List.of(plain, off)) {
          JsonObject f = c.next("message");
          assertThat(f.containsKey("delta")).isFalse();
          assertThat(f.getJsonObject("data")).isEqualTo(new JsonObject(published.get(f.getLong("offset"))));
        }
        reader.read(delta, delta.next("message"), published);
      }
      assertThat(reader.full()).isEqualTo(1);
      reader.assertDecodes();
    }
  }

  @Test
  void aChannelWhoseOptionsSayNoDeltaAnswersTheRequestWithFullMessages() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      assertThat(subscribe(c, "plain/1", true, null).containsKey("delta")).isFalse();
      JsonObject d = Dashboards.dashboard(new Random(9));
      for (int i = 0; i < 3; i++) {
        c.publish("plain/1", d);
        assertThat(c.next("message").getJsonObject("data")).isEqualTo(d);
      }
    }
  }

  @Test
  void anAppThatAllowsNoDeltasAnswersTheRequestWithFullMessages() {
    Jwt other = new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET);
    String token = other.hs256(other.claims("scott", 3600).put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**")));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + token))) {
      assertThat(subscribe(c, "dashboard/3", true, null).containsKey("delta")).isFalse();
      JsonObject d = Dashboards.dashboard(new Random(4));
      for (int i = 0; i < 3; i++) {
        c.publish("dashboard/3", d);
        assertThat(c.next("message").getJsonObject("data")).isEqualTo(d);
      }
    }
  }

  @Test
  void afterABinaryMessageTheNextJsonMessageIsFull() throws Exception {
    Random r = new Random(5);
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott"))).keepTexts()) {
      subscribe(c, "dashboard/4", true, null);
      Map<Long, String> published = new HashMap<>();
      DeltaReader reader = new DeltaReader();
      JsonObject d = Dashboards.dashboard(r);
      List<String> kinds = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        if (i == 3) {
          c.publishBinary("dashboard/4", new byte[] {1, 2, 3});
          JsonObject b = c.next("message");
          assertThat(b.getBoolean("binary")).isTrue();
          kinds.add("binary");
          continue;
        }
        published.put(c.publish("dashboard/4", d).getLong("offset"), d.encode());
        JsonObject f = c.next("message");
        kinds.add(f.containsKey("delta") ? "delta" : "full");
        reader.read(c, f, published);
        d = Dashboards.oneNumberChanged(d, r);
      }
      assertThat(kinds).containsExactly("full", "delta", "delta", "binary", "full", "delta");
      reader.assertDecodes();
    }
  }

  @Test
  void aMessageNoSmallerAsADeltaGoesInFull() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      subscribe(c, "counter/1", true, null);
      for (int i = 0; i < 4; i++) {
        c.publish("counter/1", i);
        JsonObject f = c.next("message");
        assertThat(f.containsKey("delta")).as("a delta of a one-digit number is never smaller").isFalse();
        assertThat(f.getInteger("data")).isEqualTo(i);
      }
    }
  }

  @Test
  void aRecoveryReplaysInFullThenLiveMessagesComeAsDeltasAgain() throws Exception {
    Random r = new Random(6);
    DeltaReader reader = new DeltaReader();
    Map<Long, String> published = new HashMap<>();
    String epoch;
    long last;
    JsonObject d = Dashboards.dashboard(r);
    // another page keeps the channel open on this node meanwhile, so its sequencer hands every message on
    WsClient watcher = WsClient.open(vertx, node.wsUrl("token=" + node.token("king")));
    subscribe(watcher, "dashboard/5", true, null);
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott"))).keepTexts()) {
      epoch = subscribe(c, "dashboard/5", true, null).getString("epoch");
      published.putAll(push("dashboard/5", d, 5, r));
      for (int i = 0; i < 5; i++) {
        reader.read(c, c.next("message"), published);
      }
      last = published.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
    }
    d = new JsonObject(published.get(last));
    published.putAll(push("dashboard/5", Dashboards.oneNumberChanged(d, r), 4, r)); // missed while away
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott"))).keepTexts()) {
      JsonObject sub = subscribe(c, "dashboard/5", true, new JsonObject().put("offset", last).put("epoch", epoch));
      assertThat(sub.getBoolean("recovered")).isTrue();
      assertThat(sub.getBoolean("delta")).isTrue();
      List<String> kinds = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        JsonObject f = c.next("message");
        kinds.add(f.containsKey("delta") ? "delta" : "full");
        reader.read(c, f, published);
      }
      long replayed = last + 4;
      d = new JsonObject(published.get(replayed));
      published.putAll(push("dashboard/5", Dashboards.oneNumberChanged(d, r), 3, r)); // live again
      for (int i = 0; i < 3; i++) {
        JsonObject f = c.next("message");
        kinds.add(f.containsKey("delta") ? "delta" : "full");
        reader.read(c, f, published);
      }
      assertThat(kinds).containsExactly("full", "full", "full", "full", "delta", "delta", "delta");
    } finally {
      watcher.close();
    }
    assertThat(reader.full()).isEqualTo(5);
    reader.assertDecodes();
  }

  @Test
  void aResubscribedChannelStartsWithAFullMessage() throws Exception {
    Random r = new Random(7);
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott"))).keepTexts()) {
      DeltaReader reader = new DeltaReader();
      Map<Long, String> published = new HashMap<>();
      subscribe(c, "dashboard/6", true, null);
      JsonObject d = Dashboards.dashboard(r);
      published.putAll(push("dashboard/6", d, 3, r));
      for (int i = 0; i < 3; i++) {
        reader.read(c, c.next("message"), published);
      }
      c.request(new JsonObject().put("type", "unsubscribe").put("channel", "dashboard/6"));
      subscribe(c, "dashboard/6", true, null);
      published.putAll(push("dashboard/6", Dashboards.oneNumberChanged(d, r), 3, r));
      List<String> kinds = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        JsonObject f = c.next("message");
        kinds.add(f.containsKey("delta") ? "delta" : "full");
        reader.read(c, f, published);
      }
      assertThat(kinds).containsExactly("full", "delta", "delta");
      reader.assertDecodes();
    }
  }

  @Test
  void aDeltaFlagThatIsNotABooleanIsABadRequest() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      JsonObject reply = c.request(new JsonObject().put("type", "subscribe").put("channel", "dashboard/7").put("delta", "yes"));
      assertThat(reply.getString("type")).isEqualTo("error");
      assertThat(reply.getString("code")).isEqualTo("bad_request");
      assertThat(reply.getString("message")).isEqualTo("delta must be true or false");
    }
  }
}
