package dev.apexpulse.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.impl.RingbufferService;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Measures what per-user channels cost the cluster and that it gets it back (issue 15, item 5): two
 * Hazelcast members in this JVM, one message to each of N channels {@code user/<n>}, then sweeps until
 * every channel is forgotten; prints heap after GC, epoch entries, ring proxies and ring containers at
 * each step. Not a test of speed; run it on its own:
 *
 * <pre>mvn -q test -Dtest=ChannelMemoryMeasure -Dpulse.measure=channels [-Dchannels=100000] [-Dttl=20]</pre>
 */
@EnabledIfSystemProperty(named = "pulse.measure", matches = "channels")
class ChannelMemoryMeasure {

  @Test
  void perUserChannelsAreForgottenAndTheirMemoryComesBack() throws Exception {
    int channels = Integer.getInteger("channels", 100_000);
    int ttl = Integer.getInteger("ttl", 20);
    int rounds = Integer.getInteger("rounds", 2);
    int base = ClusterFixture.freePortRange(2);
    String name = "pulse-measure-" + System.nanoTime();
    Vertx vertx = Vertx.vertx();
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("measure", 8);
    List<HazelcastInstance> members = new ArrayList<>();
    List<ChannelDirectory> directories = new ArrayList<>();
    List<HazelcastHistory> histories = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        PulseConfig config = PulseConfig.from(TestNode.config()
            .put("history", new JsonObject().put("size", 100).put("ttlSeconds", ttl))
            .put("cluster", new JsonObject().put("enabled", true).put("name", name).put("port", base + i).put("portCount", 1)
                .put("members", new JsonArray().add("127.0.0.1:" + base).add("127.0.0.1:" + (base + 1)))));
        members.add(Hazelcast.newHazelcastInstance(HazelcastSetup.build(ClusterConfig.from(config), config, Map.of())));
        var layouts = HazelcastHistory.layouts(Engines.retention(config), HazelcastSetup.global(config));
        ChannelDirectory d = new ChannelDirectory(members.get(i), ttl, layouts);
        directories.add(d);
        histories.add(new HazelcastHistory(vertx, d, workers, layouts, () -> true));
      }
      ClusterTest.await("two members", 60_000, () -> members.get(0).getCluster().getMembers().size() == 2);
      report("start", members, directories);

      for (int round = 1; round <= rounds; round++) {
        publishAndForget(round, channels, ttl, members, directories, histories);
      }
    } finally {
      histories.forEach(HazelcastHistory::close);
      vertx.close().await();
      members.forEach(m -> m.getLifecycleService().terminate());
    }
  }

  /** One message to each of {@code channels} new channels, then sweeps until all are forgotten. */
  private static void publishAndForget(int round, int channels, int ttl, List<HazelcastInstance> members,
                                       List<ChannelDirectory> directories, List<HazelcastHistory> histories) throws Exception {
      long t0 = System.nanoTime();
      Semaphore inFlight = new Semaphore(256);
      String payload = "{\"type\":\"notification\",\"text\":\"your order 4711 has shipped\",\"at\":\"2026-12-04T12:00:00Z\"}";
      for (int n = 0; n < channels; n++) {
        inFlight.acquire();
        Future<?> f = histories.get(n % 2).append(new ChannelKey("100", "user/" + round + "-" + n), payload, null);
        f.onComplete(ar -> inFlight.release());
      }
      inFlight.acquire(256);
      inFlight.release(256);
      System.out.printf("  published one message to each of %,d channels in %,d ms%n", channels,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      report("round " + round + ", published", members, directories);

      long t1 = System.nanoTime();
      ClusterTest.await("every channel forgotten", 30 * 60_000, () -> {
        directories.forEach(d -> d.sweep(Set.of()));
        return members.get(0).getMap(HazelcastSetup.EPOCHS).size() <= 1; // the base empty epoch
      });
      System.out.printf("  every channel forgotten %,d ms after the last publish (TTL %d s, sweep every %d ms)%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1), ttl, directories.get(0).sweepMillis());
      report("round " + round + ", forgotten", members, directories);
  }

  private static void report(String when, List<HazelcastInstance> members, List<ChannelDirectory> directories) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    HazelcastInstance hz = members.get(0);
    long proxies = hz.getDistributedObjects().stream().filter(o -> o.getServiceName().equals(RingbufferService.SERVICE_NAME)).count();
    long containers = 0;
    for (HazelcastInstance m : members) {
      RingbufferService s = ((com.hazelcast.instance.impl.HazelcastInstanceProxy) m).getOriginal().node
          .getNodeEngine().getService(RingbufferService.SERVICE_NAME);
      for (var perPartition : s.getContainers().values()) {
        containers += perPartition.size();
      }
    }
    System.out.printf("  %-20s heap after GC %,6.1f MB | epoch entries %,7d | ring proxies per member %,7d"
            + " | ring containers (primary + backup) %,7d | cached channels per node %,d / %,d%n",
        when, heap / 1e6, hz.getMap(HazelcastSetup.EPOCHS).size(), proxies, containers,
        directories.get(0).cachedCount(), directories.get(1).cachedCount());
  }
}
