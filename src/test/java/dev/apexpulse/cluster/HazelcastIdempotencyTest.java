package dev.apexpulse.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.apexpulse.channel.Published;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cluster's idempotency keys on two real Hazelcast members in this JVM, each with its own history
 * and keys as two gateway nodes have: a repeat on the other member, concurrent repeats, a claimer that
 * dies after storing its message (settled from the ring) or before (the repeat publishes), failures,
 * expiry and the bound.
 */
@Timeout(120)
class HazelcastIdempotencyTest {
  static final int WINDOW_SECONDS = 120;
  static final int MAX_KEYS = 2000;
  Vertx vertx;
  HazelcastInstance hz1;
  HazelcastInstance hz2;
  Node n1;
  Node n2;
  final ChannelKey channel = new ChannelKey("100", "orders/1");
  final AtomicInteger runs = new AtomicInteger();

  /** What one gateway node has: its member, its history and its keys. */
  record Node(HazelcastInstance hz, HazelcastHistory history, HazelcastIdempotency keys, PulseMetrics metrics) {
    /** A publish as the Publisher makes it: stored with the key as tag. */
    Future<Published> publish(ChannelKey channel, String key, AtomicInteger runs) {
      runs.incrementAndGet();
      return history.append(channel, "{}", null, null, key).map(Published::of);
    }
  }

  @BeforeEach
  void start() {
    int base = ClusterFixture.freePortRange(2);
    String name = "pulse-idem-" + System.nanoTime();
    vertx = Vertx.vertx();
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("test-idem", 8);
    PulseConfig config = config(name, base, 0);
    hz1 = Hazelcast.newHazelcastInstance(HazelcastSetup.build(ClusterConfig.from(config), config, Map.of()));
    PulseConfig config2 = config(name, base, 1);
    hz2 = Hazelcast.newHazelcastInstance(HazelcastSetup.build(ClusterConfig.from(config2), config2, Map.of()));
    Await.until("two members, partitions assigned", 30_000,
        () -> hz1.getCluster().getMembers().size() == 2 && hz1.getPartitionService().isClusterSafe());
    n1 = node(hz1, workers, config);
    n2 = node(hz2, workers, config2);
  }

  Node node(HazelcastInstance hz, WorkerExecutor workers, PulseConfig config) {
    var layouts = HazelcastHistory.layouts(Engines.retention(config), HazelcastSetup.global(config));
    HazelcastHistory history = new HazelcastHistory(vertx, new ChannelDirectory(hz, config.history().ttlSeconds(), layouts), workers,
        layouts, () -> true);
    PulseMetrics metrics = new PulseMetrics();
    return new Node(hz, history, new HazelcastIdempotency(vertx, hz, workers, history, metrics), metrics);
  }

  static PulseConfig config(String name, int base, int i) {
    JsonObject json = TestNode.config().put("node", new JsonObject().put("id", "n-idem-" + i))
        .put("idempotency", new JsonObject().put("windowSeconds", WINDOW_SECONDS).put("maxKeys", MAX_KEYS))
        .put("cluster", new JsonObject().put("enabled", true).put("name", name).put("port", base + i).put("portCount", 1)
            .put("members", new JsonArray().add("127.0.0.1:" + base).add("127.0.0.1:" + (base + 1))));
    return PulseConfig.from(json);
  }

  @AfterEach
  void stop() {
    if (hz2.getLifecycleService().isRunning()) {
      hz2.getLifecycleService().terminate();
    }
    hz1.getLifecycleService().terminate();
    vertx.close().await();
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aRepeatOnAnotherMemberPublishesNothingAndAnswersTheFirstOffset() {
    Published first = await(n1.keys.once(channel, "c:paid", () -> n1.publish(channel, "c:paid", runs)));
    Published again = await(n2.keys.once(channel, "c:paid", () -> n2.publish(channel, "c:paid", runs)));
    assertThat(again).isEqualTo(first);
    assertThat(runs).hasValue(1);
    assertThat(n2.metrics.idempotentRepeatCount()).isEqualTo(1);
    assertThat(await(n1.history.position(channel)).offset()).isEqualTo(first.offset());
  }

  @Test
  void concurrentRepeatsOnBothMembersRunOnce() {
    List<Future<Published>> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Node n = i % 2 == 0 ? n1 : n2;
      all.add(n.keys.once(channel, "c:race", () -> n.publish(channel, "c:race", runs)));
    }
    await(Future.all(all));
    assertThat(runs).hasValue(1);
    assertThat(all.stream().map(f -> f.result().offset()).distinct()).hasSize(1);
  }

  @Test
  void aClaimerThatDiedAfterStoringItsMessageIsSettledFromTheRing() {
    // n2 claims, stores, and dies before it records the offset
    Promise<Published> stored = Promise.promise();
    n2.keys.once(channel, "o:17", () -> n2.publish(channel, "o:17", runs).onSuccess(stored::complete)
        .compose(p -> Promise.<Published>promise().future()));
    Published orphan = await(stored.future());
    hz2.getLifecycleService().terminate();
    Await.until("member 2 gone", 30_000, () -> hz1.getCluster().getMembers().size() == 1);

    Published answer = await(n1.keys.once(channel, "o:17", () -> n1.publish(channel, "o:17", runs)));
    assertThat(answer).isEqualTo(orphan);
    assertThat(runs).as("nothing published again").hasValue(1);
    assertThat(await(n1.history.position(channel)).offset()).isEqualTo(orphan.offset());
    // and recorded: the next repeat does not read the ring
    assertThat(await(n1.keys.once(channel, "o:17", () -> n1.publish(channel, "o:17", runs)))).isEqualTo(orphan);
  }

  @Test
  void aClaimerThatDiedBeforeStoringLeavesTheRepeatToPublish() {
    Promise<Void> claimed = Promise.promise();
    n2.keys.once(channel, "o:18", () -> {
      claimed.complete();
      return Promise.<Published>promise().future(); // dies in the middle: never stores
    });
    await(claimed.future());
    hz2.getLifecycleService().terminate();
    Await.until("member 2 gone", 30_000, () -> hz1.getCluster().getMembers().size() == 1);
    Published answer = await(n1.keys.once(channel, "o:18", () -> n1.publish(channel, "o:18", runs)));
    assertThat(runs).hasValue(1);
    assertThat(answer.offset()).isEqualTo(1);
  }

  @Test
  void aFailedPublishLeavesNoKeyAndARepeatWhileTheFirstRunsWaitsForIt() {
    Future<Published> failed = n1.keys.once(channel, "c:f",
        () -> Future.failedFuture(new PulseException(ErrorCode.UNAVAILABLE, "history unavailable")));
    assertThatThrownBy(() -> failed.await(20, TimeUnit.SECONDS)).hasMessageContaining("history unavailable");
    Promise<Published> slow = Promise.promise();
    Future<Published> first = n1.keys.once(channel, "c:f", () -> {
      runs.incrementAndGet();
      return slow.future();
    });
    Await.until("the first claimed the key", 10_000, () -> runs.get() == 1);
    Future<Published> repeat = n2.keys.once(channel, "c:f", () -> n2.publish(channel, "c:f", runs));
    vertx.setTimer(300, t -> slow.complete(new Published(channel, 99, "e")));
    assertThat(await(repeat).offset()).isEqualTo(99);
    assertThat(await(first).offset()).isEqualTo(99);
    assertThat(runs).hasValue(1);
  }

  @Test
  void keysExpireAfterTheWindowAndEachMemberHoldsAboutMaxKeysAtMost() {
    Published p = await(n1.keys.once(channel, "c:old", () -> n1.publish(channel, "c:old", runs)));
    var map = hz1.<String, String>getMap(HazelcastSetup.IDEMPOTENCY);
    var entry = map.getEntryView(HazelcastIdempotency.mapKey(channel, "c:old"));
    assertThat(entry.getValue()).isEqualTo("d " + p.offset() + " " + p.epoch());
    assertThat(entry.getTtl()).as("kept for the window, then expired by Hazelcast").isEqualTo(WINDOW_SECONDS * 1000L);

    // far more keys than the bound, as HazelcastIdempotency writes them, all on one channel
    int written = 10 * MAX_KEYS;
    for (int i = 0; i < written; i++) {
      map.set(HazelcastIdempotency.mapKey(new ChannelKey("100", "bound/one"), "c:k" + i), "d " + i + " e");
    }
    long owned1 = n1.keys.ownedKeys();
    long owned2 = n2.keys.ownedKeys();
    long cost = map.getLocalMapStats().getOwnedEntryMemoryCost();
    System.out.printf("idempotency keys: %d written to one channel, %d + %d kept (maxKeys %d per member), %d bytes per entry%n",
        written, owned1, owned2, MAX_KEYS, cost / Math.max(1, owned1));
    assertThat(owned1).isBetween(MAX_KEYS / 2L, (long) MAX_KEYS);
    assertThat(owned2).isBetween(MAX_KEYS / 2L, (long) MAX_KEYS);
    Await.until("evictions counted", 10_000,
        () -> n1.metrics.registry().get("pulse_idempotency_keys_evicted").counter().count() > 0);
  }
}
