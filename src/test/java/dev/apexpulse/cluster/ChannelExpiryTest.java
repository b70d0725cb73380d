package dev.apexpulse.cluster;

import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.impl.RingbufferService;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Replay;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 5: idle channels are forgotten cluster-wide (ring and epoch entry) once their
 * messages expired, except those with subscribers; a recovery that asks for a forgotten channel gets
 * {@code recovered:false}; a write that lands after its channel was forgotten is not acknowledged.
 * Two Hazelcast members in this JVM, history TTL 2 s (a sweep every second, a grace of 3 s).
 */
@Timeout(120)
class ChannelExpiryTest {
  static final int TTL = 2;
  static final int CHANNELS = 200;
  static final List<HazelcastInstance> members = new ArrayList<>();
  static final List<ChannelDirectory> directories = new ArrayList<>();
  static final List<HazelcastHistory> histories = new ArrayList<>();
  static Vertx vertx;

  @BeforeAll
  static void start() {
    int base = ClusterFixture.freePortRange(2);
    String name = "pulse-expiry-" + System.nanoTime();
    vertx = Vertx.vertx();
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("test-expiry", 4);
    for (int i = 0; i < 2; i++) {
      PulseConfig config = PulseConfig.from(TestNode.config()
          .put("history", new JsonObject().put("size", 10).put("ttlSeconds", TTL))
          .put("cluster", new JsonObject().put("enabled", true).put("name", name).put("port", base + i).put("portCount", 1)
              .put("members", new JsonArray().add("127.0.0.1:" + base).add("127.0.0.1:" + (base + 1)))));
      HazelcastInstance hz = Hazelcast.newHazelcastInstance(HazelcastSetup.build(ClusterConfig.from(config), config, Map.of()));
      members.add(hz);
      var layouts = HazelcastHistory.layouts(Engines.retention(config), HazelcastSetup.global(config));
      ChannelDirectory d = new ChannelDirectory(hz, TTL, layouts);
      directories.add(d);
      histories.add(new HazelcastHistory(vertx, d, workers, layouts, () -> true));
    }
    ClusterTest.await("two members", 30_000, () -> members.get(0).getCluster().getMembers().size() == 2);
  }

  @AfterAll
  static void stop() {
    histories.forEach(HazelcastHistory::close);
    vertx.close().await();
    members.forEach(m -> m.getLifecycleService().terminate());
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

  /** Channels with a ring, as the cluster's proxies list them. */
  static long rings(String prefix) {
    return members.get(0).getDistributedObjects().stream()
        .filter(o -> o.getServiceName().equals(RingbufferService.SERVICE_NAME))
        .map(DistributedObject::getName).filter(n -> n.startsWith(HazelcastSetup.RING_PREFIX + "100:" + prefix)).count();
  }

  /** Ring containers held in memory, primaries and backups, on both members. */
  static long containers(String prefix) {
    long n = 0;
    for (HazelcastInstance hz : members) {
      RingbufferService service = ((com.hazelcast.instance.impl.HazelcastInstanceProxy) hz).getOriginal().node
          .getNodeEngine().getService(RingbufferService.SERVICE_NAME);
      for (var perPartition : service.getContainers().values()) {
        n += perPartition.keySet().stream().filter(ns -> ns.getObjectName().startsWith(HazelcastSetup.RING_PREFIX + "100:" + prefix)).count();
      }
    }
    return n;
  }

  static long entries(String prefix) {
    return members.get(0).<String, String>getMap(HazelcastSetup.EPOCHS).keySet().stream().filter(k -> k.startsWith("100:" + prefix)).count();
  }

  /** Sweeps on both members until the condition holds; channel ids in {@code inUse} have subscribers on member 0. */
  static void sweepUntil(String what, Set<String> inUse, java.util.function.BooleanSupplier done) {
    ClusterTest.await(what, 60_000, () -> {
      directories.get(0).sweep(inUse);
      directories.get(1).sweep(Set.of());
      return done.getAsBoolean();
    });
  }

  @Test
  void idleChannelsAreForgottenClusterWideExceptThoseWithSubscribers() {
    Map<String, String> epochs = new HashMap<>();
    for (int i = 0; i < CHANNELS; i++) {
      Message m = await(histories.get(i % 2).append(key("user/" + i), "{\"n\":" + i + "}", null));
      epochs.put("user/" + i, m.epoch());
    }
    String kept = HazelcastHistory.id(key("user/kept"));
    await(histories.get(1).append(key("user/kept"), "{}", null));
    String keptEpoch = await(histories.get(0).position(key("user/kept"))).epoch(); // member 0 has a subscriber
    assertThat(rings("user/")).isEqualTo(CHANNELS + 1);
    assertThat(entries("user/")).isEqualTo(CHANNELS + 1);
    assertThat(containers("user/")).as("primary and backup").isEqualTo(2 * (CHANNELS + 1));

    long t0 = System.nanoTime();
    sweepUntil("idle channels forgotten", Set.of(kept), () -> entries("user/") == 1 && rings("user/") == 1);
    assertThat(containers("user/")).isEqualTo(2);
    System.out.printf("%n  %d idle channels forgotten %d ms after their last message (TTL %d s)%n", CHANNELS,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), TTL);

    // the channel with a subscriber stays, in its epoch, even though its message expired
    Position k = await(histories.get(1).position(key("user/kept")));
    assertThat(k.epoch()).isEqualTo(keptEpoch);
    assertThat(k.offset()).isEqualTo(1);
    // a recovery asking for a forgotten channel is told the truth, on either member
    for (HazelcastHistory h : histories) {
      Replay r = await(h.since(key("user/3"), 1, epochs.get("user/3"), 100));
      assertThat(r.recovered()).isFalse();
      assertThat(r.position().offset()).isZero();
      assertThat(await(h.since(key("user/3"), 0, epochs.get("user/3"), 100)).recovered())
          .as("offset 0 of the forgotten epoch is not offset 0 of the next one").isFalse();
    }
    // and it comes back in another epoch, from offset 1
    Message again = await(histories.get(0).append(key("user/3"), "{\"again\":true}", null));
    assertThat(again.offset()).isEqualTo(1);
    assertThat(again.epoch()).isNotEqualTo(epochs.get("user/3"));
    Replay fromOld = await(histories.get(1).since(key("user/3"), 1, epochs.get("user/3"), 100));
    assertThat(fromOld.recovered()).as("old offset 1 is not the new offset 1").isFalse();
  }

  @Test
  void aWriteThatLandsAfterItsChannelWasForgottenIsNotAcknowledgedAndLeavesNothing() {
    ChannelKey late = key("late/1");
    String id = HazelcastHistory.id(late);
    await(histories.get(0).append(late, "{}", null));
    ChannelDirectory.Channel stale = directories.get(0).find(id);
    sweepUntil("late/1 forgotten", Set.of(), () -> entries("late/") == 0 && rings("late/") == 0 && containers("late/") == 0);
    // a write still on its way (Hazelcast retrying) lands in the forgotten ring: it recreates it
    stale.ring().add(new byte[] {1});
    assertThat(containers("late/")).isPositive();
    assertThat(directories.get(0).stillCurrent(stale)).isFalse();
    assertThat(containers("late/")).as("the recreated ring is destroyed again").isZero();
    // the next publish starts the channel afresh
    Message next = await(histories.get(1).append(late, "{}", null));
    assertThat(next.offset()).isEqualTo(1);
    assertThat(next.epoch()).isNotEqualTo(stale.epoch());
  }
}
