package dev.apexpulse.cluster;

import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.transport.websocket.WebSocketFormat;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Replay;
import dev.apexpulse.support.TestNode;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * HazelcastHistory and the cluster presence against one real Hazelcast member (in this JVM): the
 * same offset/epoch/recovery contract as the in-memory history, and futures completing on the
 * caller's context.
 */
@Timeout(60)
class HazelcastHistoryTest {
  static final int CAPACITY = 20;
  /** The history size of channels under big/**, from their channel options. */
  static final int BIG = 30;
  static HazelcastInstance hz;
  static Vertx vertx;
  static HazelcastHistory history;
  static java.util.function.Function<String, ChannelDirectory.Layout> layouts;
  static HazelcastPresence presence;

  @BeforeAll
  static void start() {
    int port = ClusterFixture.freePortRange(1);
    JsonObject json = TestNode.config()
        .put("history", new JsonObject().put("size", CAPACITY).put("ttlSeconds", 600))
        .put("cluster", new JsonObject().put("enabled", true).put("name", "pulse-unit-" + System.nanoTime())
            .put("port", port).put("portCount", 1).put("members", new JsonArray().add("127.0.0.1:" + port)));
    json.getJsonObject("apps").getJsonObject("100").put("channels", new JsonArray()
        .add(new JsonObject().put("pattern", "big/**").put("history", new JsonObject().put("size", BIG).put("ttlSeconds", 60))));
    PulseConfig config = PulseConfig.from(json);
    hz = Hazelcast.newHazelcastInstance(HazelcastSetup.build(ClusterConfig.from(config), config, Map.of()));
    vertx = Vertx.vertx();
    var workers = vertx.createSharedWorkerExecutor("test-hz", 4);
    layouts = HazelcastHistory.layouts(Engines.retention(config), HazelcastSetup.global(config));
    history = new HazelcastHistory(vertx, new ChannelDirectory(hz, 600, layouts), workers, layouts, () -> true);
    presence = new HazelcastPresence(hz, workers);
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    hz.getLifecycleService().terminate();
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static ChannelKey key(String channel) {
    return new ChannelKey("100", channel);
  }

  @Test
  void emptyChannelIsAtOffsetZeroAndAppendsCountFromOne() {
    ChannelKey k = key("h/empty");
    Position p = await(history.position(k));
    assertThat(p.offset()).isZero();
    assertThat(p.epoch()).isNotBlank();
    Message m1 = await(history.append(k, "{\"n\":1}", "scott"));
    Message m2 = await(history.append(k, "[2]", null));
    assertThat(m1.offset()).isEqualTo(1);
    assertThat(m2.offset()).isEqualTo(2);
    assertThat(m1.epoch()).isEqualTo(p.epoch());
    assertThat(await(history.position(k))).isEqualTo(new Position(2, p.epoch()));
    Replay all = await(history.since(k, 0, p.epoch(), 100));
    assertThat(all.recovered()).isTrue();
    assertThat(all.messages()).extracting(Message::data).containsExactly("{\"n\":1}", "[2]");
    assertThat(all.messages()).extracting(Message::from).containsExactly("scott", null);
  }

  @Test
  void anAppendMadeWithoutTheMajorityIsNotAcknowledged() {
    HazelcastHistory minority = new HazelcastHistory(vertx, new ChannelDirectory(hz, 600, layouts), vertx.createSharedWorkerExecutor("test-hz", 4), layouts, () -> false);
    Future<Message> f = minority.append(key("h/minority"), "{}", null, null);
    assertThatThrownBy(() -> f.await(20, TimeUnit.SECONDS)).hasMessageContaining("not in the majority");
    minority.close();
  }

  @Test
  void sinceReturnsExactlyTheMissedMessagesOrNotRecovered() {
    ChannelKey k = key("h/since");
    String epoch = await(history.position(k)).epoch();
    for (int i = 1; i <= 10; i++) {
      await(history.append(k, Integer.toString(i), null));
    }
    Replay r = await(history.since(k, 7, epoch, 100));
    assertThat(r.recovered()).isTrue();
    assertThat(r.position()).isEqualTo(new Position(10, epoch));
    assertThat(r.messages()).extracting(Message::offset).containsExactly(8L, 9L, 10L);
    assertThat(r.messages()).extracting(Message::data).containsExactly("8", "9", "10");

    Replay upToDate = await(history.since(k, 10, epoch, 100));
    assertThat(upToDate.recovered()).isTrue();
    assertThat(upToDate.messages()).isEmpty();

    assertThat(await(history.since(k, 7, "other-epoch", 100)).recovered()).as("epoch differs").isFalse();
    assertThat(await(history.since(k, 11, epoch, 100)).recovered()).as("offset ahead of history").isFalse();
    assertThat(await(history.since(k, 2, epoch, 5)).recovered()).as("more than limit missing").isFalse();
    Replay notRecovered = await(history.since(k, 2, epoch, 5));
    assertThat(notRecovered.messages()).isEmpty();
    assertThat(notRecovered.position()).isEqualTo(new Position(10, epoch));
  }

  @Test
  void sinceFailsOnceTheRingMovedPastTheOffset() {
    ChannelKey k = key("h/overflow");
    String epoch = await(history.position(k)).epoch();
    for (int i = 1; i <= CAPACITY + 5; i++) {
      await(history.append(k, Integer.toString(i), null));
    }
    // offsets 1..5 were overwritten: asking from 3 would miss 4 and 5
    assertThat(await(history.since(k, 3, epoch, 1000)).recovered()).isFalse();
    Replay fromHead = await(history.since(k, 5, epoch, 1000));
    assertThat(fromHead.recovered()).isTrue();
    assertThat(fromHead.messages()).extracting(Message::offset)
        .containsExactlyElementsOf(LongStream.rangeClosed(6, CAPACITY + 5).boxed().toList());
    Replay recent = await(history.recent(k, 3));
    assertThat(recent.messages()).extracting(Message::offset).containsExactly((long) CAPACITY + 3, (long) CAPACITY + 4, (long) CAPACITY + 5);
    assertThat(await(history.recent(k, 1000)).messages()).hasSize(CAPACITY);
  }

  @Test
  void rangeReturnsExactlyTheGapHoweverFarTheChannelMovedOn() {
    ChannelKey k = key("h/range");
    String epoch = await(history.position(k)).epoch();
    for (int i = 1; i <= CAPACITY; i++) {
      await(history.append(k, Integer.toString(i), null));
    }
    // since() with a small limit refuses (too many up to the newest); range() only needs the gap
    assertThat(await(history.since(k, 2, epoch, 3)).recovered()).isFalse();
    assertThat(await(history.range(k, 2, 4, epoch))).extracting(Message::offset).containsExactly(3L, 4L);
    assertThat(await(history.range(k, 2, 4, "other"))).isEmpty();
    assertThat(await(history.range(k, CAPACITY, CAPACITY + 1, epoch))).as("not stored yet").isEmpty();
    await(history.append(k, "overwrites offset 1", null));
    assertThat(await(history.range(k, 0, 2, epoch))).as("offset 1 overwritten").isEmpty();
    assertThat(await(history.range(k, 1, 2, epoch))).extracting(Message::data).containsExactly("2");
  }

  @Test
  void channelNamesWithAtSignsAreSeparateRingsCoLocatedWithTheirEpoch() {
    ChannelKey a = key("user/a@b");
    ChannelKey b = key("user/a%40b".replace("%40", "-at-"));
    await(history.append(a, "1", null));
    assertThat(await(history.position(b)).offset()).isZero();
    String id = HazelcastHistory.id(a);
    String ring = HazelcastHistory.ringName(id);
    assertThat(ring.substring(0, ring.indexOf('@'))).doesNotContain("@").startsWith("pulse.h.");
    assertThat(hz.getRingbuffer(ring).getPartitionKey()).isEqualTo(id);
    assertThat(hz.getPartitionService().getPartition(hz.getRingbuffer(ring).getPartitionKey()).getPartitionId())
        .as("the ring and its epoch entry share a partition, so they survive or vanish together")
        .isEqualTo(hz.getPartitionService().getPartition(id).getPartitionId());
  }

  @Test
  void futuresCompleteOnTheCallersContext() throws Exception {
    Context ctx = vertx.getOrCreateContext();
    List<Boolean> same = new ArrayList<>();
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      ChannelKey k = key("h/ctx");
      history.append(k, "1", null)
          .onComplete(ar -> same.add(Vertx.currentContext() == ctx))
          .compose(m -> history.position(k)).onComplete(ar -> same.add(Vertx.currentContext() == ctx))
          .compose(p -> history.since(k, 0, p.epoch(), 10)).onComplete(ar -> same.add(Vertx.currentContext() == ctx))
          .compose(r -> history.recent(k, 10)).onComplete(ar -> same.add(Vertx.currentContext() == ctx))
          .compose(r -> presence.join(k, new dev.apexpulse.presence.ClientInfo("c-1", "u", null)))
          .onComplete(ar -> same.add(Vertx.currentContext() == ctx))
          .compose(r -> presence.clients(k)).onComplete(ar -> same.add(Vertx.currentContext() == ctx))
          .<Void>mapEmpty().onComplete(done);
    });
    done.future().await(20, TimeUnit.SECONDS);
    assertThat(same).hasSize(6).containsOnly(true);
  }

  @Test
  void aChannelWithAHistoryOfItsOwnKeepsThatManyInARingOfItsOwnAndAMarkedEpoch() {
    ChannelKey big = key("big/room/1");
    ChannelKey plain = key("h/plain-size");
    Position empty = await(history.position(big));
    for (int i = 1; i <= BIG + 5; i++) {
      await(history.append(big, Integer.toString(i), null));
      await(history.append(plain, Integer.toString(i), null));
    }
    Replay kept = await(history.recent(big, 1000));
    assertThat(kept.messages()).hasSize(BIG);
    assertThat(kept.messages().get(0).offset()).isEqualTo(6);
    assertThat(await(history.recent(plain, 1000)).messages()).hasSize(CAPACITY);
    // the epoch says which retention the offsets belong to: the channel's subscribers saw it while empty
    assertThat(kept.position().epoch()).endsWith("." + BIG + "t60").isEqualTo(empty.epoch());
    assertThat(await(history.position(plain)).epoch()).as("no retention mark").doesNotMatch(".*\\.[0-9]+t[0-9]+");
    assertThat(await(history.since(big, 10, kept.position().epoch(), 1000)).messages()).hasSize(BIG - 5);
    String ring = HazelcastHistory.ringName("pulse.h" + BIG + "t60.", HazelcastHistory.id(big));
    assertThat(hz.getRingbuffer(ring).capacity()).isEqualTo(BIG);
    assertThat(hz.getRingbuffer(ring).size()).isEqualTo(BIG);
    assertThat(hz.getConfig().getRingbufferConfig(ring).getTimeToLiveSeconds()).isEqualTo(60);
  }

  @Test
  void aMessageIsFoundByTheTagItWasStoredWith() {
    ChannelKey k = key("h/tagged");
    assertThat(await(history.find(k, "c:none"))).as("a channel without messages").isNull();
    Message first = await(history.append(k, "1", null, null, "c:first"));
    for (int i = 0; i < 5; i++) {
      await(history.append(k, "{}", null));
    }
    Message last = await(history.append(k, null, new byte[] {9}, "scott", "o:77"));
    assertThat(await(history.find(k, "c:first"))).isEqualTo(new Position(first.offset(), first.epoch()));
    assertThat(await(history.find(k, "o:77"))).isEqualTo(new Position(last.offset(), last.epoch()));
    assertThat(await(history.find(k, "c:other"))).isNull();
    // pushed out of the ring: no longer found
    for (int i = 0; i < CAPACITY; i++) {
      await(history.append(k, "{}", null));
    }
    assertThat(await(history.find(k, "c:first"))).isNull();
  }

  @Test
  void storedFormRoundTrips() {
    ChannelKey k = key("h/codec");
    byte[] bytes = HazelcastHistory.encode(123L, "zoë@example.com", null, "{\"t\":\"€ \\u0000\"}");
    Message m = HazelcastHistory.decode(k, 7, "e1", bytes);
    assertThat(m).isEqualTo(new Message(k, 7, "e1", "{\"t\":\"€ \\u0000\"}", "zoë@example.com", 123L, m.local()));
    assertThat(HazelcastHistory.tagOf(bytes)).isNull();
    assertThat(HazelcastHistory.decode(k, 1, "e", HazelcastHistory.encode(1, null, null, "null")).from()).isNull();
    // tagged with the idempotency key of the publish: the same message, and the tag readable alone
    byte[] tagged = HazelcastHistory.encode(123L, "zoë@example.com", "c:é-1", "{\"t\":\"€ \\u0000\"}");
    Message t = HazelcastHistory.decode(k, 7, "e1", tagged);
    assertThat(t).isEqualTo(new Message(k, 7, "e1", "{\"t\":\"€ \\u0000\"}", "zoë@example.com", 123L, t.local()));
    assertThat(HazelcastHistory.tagOf(tagged)).isEqualTo("c:é-1");
    byte[] taggedBinary = HazelcastHistory.encodeBinary(5L, null, "o:17", new byte[] {1, 2});
    assertThat(HazelcastHistory.decode(k, 1, "e", taggedBinary).bytes()).containsExactly(1, 2);
    assertThat(HazelcastHistory.tagOf(taggedBinary)).isEqualTo("o:17");
  }

  @Test
  void binaryMessagesKeepTheirBytesInTheRingAndOnTheEventBus() {
    ChannelKey k = key("h/binary");
    byte[] payload = {0, (byte) 0xff, 0x7f, (byte) 0x80, 0};
    Message stored = await(history.append(k, null, payload, "scott"));
    assertThat(stored.binary()).isTrue();
    Message json = await(history.append(k, "{\"n\":2}", null));
    var replay = await(history.since(k, stored.offset() - 1, stored.epoch(), 10));
    assertThat(replay.recovered()).isTrue();
    assertThat(replay.messages()).hasSize(2);
    assertThat(replay.messages().get(0).bytes()).isEqualTo(payload);
    assertThat(replay.messages().get(0).data()).isNull();
    assertThat(replay.messages().get(0).from()).isEqualTo("scott");
    assertThat(replay.messages().get(1).data()).isEqualTo("{\"n\":2}");
    assertThat(replay.messages().get(1).offset()).isEqualTo(json.offset());
    Message empty = HazelcastHistory.decode(k, 3, "e", HazelcastHistory.encodeBinary(1, null, null, new byte[0]));
    assertThat(empty.bytes()).isEmpty();

    Message viaBus = EventBusBridge.decode(k, EventBusBridge.encode(stored));
    assertThat(viaBus.bytes()).isEqualTo(payload);
    assertThat(viaBus.offset()).isEqualTo(stored.offset());
    assertThat(viaBus.frame(WebSocketFormat.INSTANCE).nioBuffer()).isEqualTo(stored.frame(WebSocketFormat.INSTANCE).nioBuffer());
    Message jsonViaBus = EventBusBridge.decode(k, EventBusBridge.encode(json));
    assertThat(jsonViaBus.binary()).isFalse();
    assertThat(jsonViaBus.data()).isEqualTo("{\"n\":2}");
  }

  @Test
  void presenceReportsFirstJoinAndLastLeaveOfAUserAndCountsConnections() {
    ChannelKey k = key("p/room@1");
    var s1 = new dev.apexpulse.presence.ClientInfo("c-s1", "scott@example.com", "Scott");
    var s2 = new dev.apexpulse.presence.ClientInfo("c-s2", "scott@example.com", "Scott");
    var anon = new dev.apexpulse.presence.ClientInfo("c-anon", null, null);
    var other = new dev.apexpulse.presence.ClientInfo("c-o", "king", null);
    assertThat(await(presence.join(k, s1))).isEqualTo(dev.apexpulse.presence.PresenceChange.USER_CHANGED);
    assertThat(await(presence.join(k, s2))).isEqualTo(dev.apexpulse.presence.PresenceChange.UNCHANGED);
    assertThat(await(presence.join(k, anon))).isEqualTo(dev.apexpulse.presence.PresenceChange.UNCHANGED);
    assertThat(await(presence.join(key("p/room"), other))).isEqualTo(dev.apexpulse.presence.PresenceChange.USER_CHANGED);
    assertThat(await(presence.clients(k))).extracting(dev.apexpulse.presence.ClientInfo::connection)
        .containsExactlyInAnyOrder("c-s1", "c-s2", "c-anon");
    assertThat(await(presence.channels("100"))).containsEntry("p/room@1", 3).containsEntry("p/room", 1);
    assertThat(await(presence.leave(k, s1))).isEqualTo(dev.apexpulse.presence.PresenceChange.UNCHANGED);
    assertThat(await(presence.leave(k, s2))).isEqualTo(dev.apexpulse.presence.PresenceChange.USER_CHANGED);
    assertThat(await(presence.leave(k, s2))).as("twice").isEqualTo(dev.apexpulse.presence.PresenceChange.UNCHANGED);
    assertThat(await(presence.clients(k))).extracting(dev.apexpulse.presence.ClientInfo::connection).containsExactly("c-anon");
    // this member's remaining entries: c-anon, c-o (and c-1 when the context test ran first)
    assertThat(await(presence.removeOwn())).isBetween(2, 3);
    assertThat(await(presence.channels("100"))).doesNotContainKeys("p/room@1", "p/room");
  }

  /** Subscribing to or reading channels that never had a message grows no cluster map (issue 7). */
  @Test
  void readingChannelsWithoutMessagesCreatesNothingInTheCluster() {
    int objects = hz.getDistributedObjects().size();
    int epochs = hz.getMap(HazelcastSetup.EPOCHS).size();
    Position first = null;
    for (int i = 0; i < 500; i++) {
      ChannelKey k = key("storm/" + i);
      Position p = await(history.position(k));
      assertThat(p.offset()).isZero();
      first = first == null ? p : first;
      assertThat(p.epoch()).isEqualTo(first.epoch());
      assertThat(await(history.since(k, 0, p.epoch(), 10)).recovered()).isTrue();
      assertThat(await(history.since(k, 1, p.epoch(), 10)).recovered()).isFalse();
      await(history.recent(k, 10));
    }
    assertThat(hz.getMap(HazelcastSetup.EPOCHS).size()).isLessThanOrEqualTo(epochs + 1); // the empty epoch itself
    assertThat(hz.getDistributedObjects().size()).isLessThanOrEqualTo(objects + 1);
    // the first message keeps the epoch its subscribers were told, so they recover it
    ChannelKey k = key("storm/7");
    assertThat(await(history.append(k, "1", null)).epoch()).isEqualTo(first.epoch());
    Replay r = await(history.since(k, 0, first.epoch(), 10));
    assertThat(r.recovered()).isTrue();
    assertThat(r.messages()).extracting(m -> m.offset()).containsExactly(1L);
  }
}
