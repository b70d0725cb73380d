package dev.apexpulse.cluster;

import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.Idempotency;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.engine.NodeControl;
import dev.apexpulse.history.History;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.Presence;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A cluster member: Vert.x clustered with the Hazelcast cluster manager, history in Hazelcast
 * ringbuffers, presence in a Hazelcast map, the bridge on the clustered event bus, and the
 * {@code pulse.publish} service. One instance per node (it holds that node's Hazelcast member).
 */
public class ClusterEngines implements Engines {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterEngines.class);
  /** Blocking Hazelcast calls (ring tail, presence compare-and-set, queries) run here, never on an event loop. */
  private static final int WORKERS = 8;

  private final Map<String, String> env;
  private ClusterConfig cluster;
  private HazelcastClusterManager manager;
  private Vertx vertx;
  private WorkerExecutor workers;
  private ChannelDirectory directory;
  private HazelcastHistory history;
  private long sweepTimer = -1;
  private LocalHub hub;
  private HazelcastPresence presence;
  private EventBusBridge bridge;
  private UUID membership;
  private PublishService publishService;
  private long joinMillis = -1;
  private Thread pauseGuard;

  public ClusterEngines() {
    this(System.getenv());
  }

  /** @param env where {@code ${NAME}} placeholders of the Hazelcast YAML file are looked up */
  public ClusterEngines(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void configure(VertxOptions options, PulseConfig config) {
    ClusterConfig c = settings(config);
    EventBusOptions eb = options.getEventBusOptions();
    if (!c.eventBusHost().isEmpty()) {
      eb.setHost(c.eventBusHost());
    }
    eb.setPort(c.eventBusPort());
    if (!c.eventBusPublicHost().isEmpty()) {
      eb.setClusterPublicHost(c.eventBusPublicHost());
    }
  }

  @Override
  public Future<Vertx> vertx(VertxBuilder builder, PulseConfig config) {
    Config hz;
    try {
      hz = HazelcastSetup.build(settings(config), config, env);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    manager = new HazelcastClusterManager(hz);
    long t0 = System.nanoTime();
    return builder.withClusterManager(manager).buildClustered().onSuccess(v -> {
      vertx = v;
      joinMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      workers = v.createSharedWorkerExecutor("pulse-hazelcast", WORKERS);
      LOG.info("joined Hazelcast cluster '{}' as member {} ({} members) in {} ms", cluster.name(),
          hazelcast().getCluster().getLocalMember().getUuid(), hazelcast().getCluster().getMembers().size(), joinMillis);
    });
  }

  @Override
  public History history(Vertx vertx, PulseConfig config) {
    BooleanSupplier quorum = () -> true;
    if (cluster.minSize() > 1) {
      quorum = hazelcast().getSplitBrainProtectionService().getSplitBrainProtection(HazelcastSetup.QUORUM)::hasMinimumSize;
    }
    Function<String, ChannelDirectory.Layout> layouts = HazelcastHistory.layouts(Engines.retention(config), HazelcastSetup.global(config));
    directory = new ChannelDirectory(hazelcast(), config.history().ttlSeconds(), layouts);
    history = new HazelcastHistory(vertx, directory, workers, layouts, quorum);
    return history;
  }

  @Override
  public Presence presence(Vertx vertx, PulseConfig config) {
    presence = new HazelcastPresence(hazelcast(), workers);
    return presence;
  }

  @Override
  public Idempotency idempotency(Vertx vertx, PulseConfig config, PulseMetrics metrics) {
    HazelcastIdempotency keys = new HazelcastIdempotency(vertx, hazelcast(), workers, history, metrics);
    metrics.idempotencyKeys(keys::ownedKeys);
    return keys;
  }

  @Override
  public Bridge bridge(Vertx vertx, PulseConfig config, LocalHub hub) {
    this.hub = hub;
    bridge = new EventBusBridge(vertx, hub, history, config.limits().maxHistoryRequest());
    return bridge;
  }

  @Override
  public Future<Void> started(PulseConfig config, PulseMetrics metrics, Publisher publisher, NodeControl node) {
    // users whose last connection was on a member that died: tell the channel they left
    presence.onLostUser((key, client) -> announceLeave(config, key, client));
    var registry = metrics.registry();
    Gauge.builder("pulse_bridge_consumers", bridge, EventBusBridge::consumerCount)
        .description("event-bus consumers of this node: one per channel with local subscribers").register(registry);
    Gauge.builder("pulse_cluster_members", this, e -> e.memberCount())
        .description("members of the Hazelcast cluster, as this node sees it").register(registry);
    Gauge.builder("pulse_cluster_join_seconds", this, e -> e.joinMillis / 1000.0)
        .description("time this node took to join the cluster").register(registry);
    publishService = new PublishService(publisher);
    membership = hazelcast().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        bridge.recheck();
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        bridge.recheck();
        checkQuorum(node, config.nodeId());
      }
    });
    checkQuorum(node, config.nodeId());
    startPauseGuard(node, config.nodeId());
    startSweeping();
    return publishService.register(vertx);
  }

  /**
   * A process frozen for longer than Hazelcast's failure detection (SIGSTOP, a VM or container freeze, a
   * very long GC pause) has been dropped by the other members: when it resumes it is a cluster of one,
   * with its own fresh history rings and locks (a second outbox poller and job runner), and its clients
   * would silently stop receiving what the rest of the cluster publishes. It notices the gap in its own
   * clock and stops itself (sockets closed with 1012: clients reconnect to the cluster and recover with
   * {@code since}); Main then starts a fresh node in this process, which joins afresh. A thread of its
   * own, so a blocked event loop is not mistaken for a frozen process.
   */
  private void startPauseGuard(NodeControl node, String nodeId) {
    long limitSeconds = failureDetectionSeconds();
    long limit = TimeUnit.SECONDS.toNanos(limitSeconds);
    pauseGuard = new Thread(() -> {
      long last = System.nanoTime();
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
        long now = System.nanoTime();
        long gap = now - last;
        last = now;
        if (gap > limit) {
          node.fail(String.format("node %s was frozen for %.1f s, longer than the cluster's failure detection (%d s,"
                  + " hazelcast.max.no.heartbeat.seconds): the cluster has dropped it; stopping so that its clients"
                  + " reconnect to the cluster then rejoining it", nodeId, gap / 1e9, limitSeconds));
          return;
        }
      }
    }, "pulse-pause-guard");
    pauseGuard.setDaemon(true);
    pauseGuard.start();
  }

  /**
   * Every {@link ChannelDirectory#sweepMillis()}: keeps the channels with subscribers here and forgets
   * idle ones (see {@link ChannelDirectory}); one sweep at a time, on a worker thread.
   */
  private void startSweeping() {
    AtomicBoolean busy = new AtomicBoolean();
    sweepTimer = vertx.setPeriodic(directory.sweepMillis(), t -> {
      if (!busy.compareAndSet(false, true)) {
        return;
      }
      Set<String> inUse = new HashSet<>();
      hub.forEachChannel((key, subscribers) -> inUse.add(HazelcastHistory.id(key)));
      workers.executeBlocking(() -> {
        directory.sweep(inUse);
        return null;
      }, false).onComplete(ar -> {
        busy.set(false);
        if (ar.failed()) {
          LOG.warn("channel sweep failed: {}", ar.cause().toString());
        }
      });
    });
  }

  /** {@code hazelcast.max.no.heartbeat.seconds} as configured (file or system property), else Hazelcast's 60. */
  long failureDetectionSeconds() {
    return Math.max(1, HazelcastSetup.property(hazelcast().getConfig(), HazelcastSetup.MAX_NO_HEARTBEAT, 60));
  }

  /**
   * Split-brain protection ({@code cluster.minSize}): a node that sees fewer gateway members than that
   * has been cut off from the majority. Serving on would split its clients from the rest of the cluster
   * (and run a second outbox poller and job runner), so it stops as the pause guard does: not ready,
   * sockets closed with 1012 (clients reconnect to the majority and recover with {@code since}), no
   * background work. Main then starts a fresh node in this process, whose Hazelcast member waits for
   * {@code minSize} members before it completes: it comes back once the partition heals and takes the
   * majority's state, having kept nothing of its own. (Rejoining in place is unsafe: Hazelcast gives a
   * merged member a new id, which Vert.x's cluster manager does not follow.)
   */
  private void checkQuorum(NodeControl node, String nodeId) {
    int members = dataMembers();
    if (members < cluster.minSize()) {
      node.fail(String.format("node %s sees %d of the %d members it needs (cluster.minSize): cut off from the"
          + " majority; stopping so that its clients reconnect to the majority, then rejoining it",
          nodeId, members, cluster.minSize()));
    }
  }

  /** Members holding data: gateway nodes, not lite members such as services on the event bus. */
  private int dataMembers() {
    try {
      return (int) hazelcast().getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  @Override
  public Future<Void> stopping() {
    if (pauseGuard != null) {
      pauseGuard.interrupt();
    }
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    if (membership != null) {
      hazelcast().getCluster().removeMembershipListener(membership);
    }
    Future<Void> unregistered = publishService == null ? Future.succeededFuture() : publishService.unregister();
    Future<Integer> cleaned = presence == null ? Future.succeededFuture(0) : presence.removeOwn();
    return Future.all(unregistered, cleaned).<Void>mapEmpty().recover(e -> {
      LOG.warn("cluster clean-up on stop incomplete: {}", e.toString());
      return Future.succeededFuture();
    });
  }

  @Override
  public void sweep(History history, LocalHub hub) {
    if (presence != null && workers != null) {
      workers.executeBlocking(() -> presence.sweep(), false).onSuccess(n -> {
        if (n > 0) {
          LOG.info("presence sweep removed {} entries of departed members", n);
        }
      });
    }
  }

  @Override
  public boolean clustered() {
    return true;
  }

  @Override
  public String describe() {
    return "clustered: Hazelcast cluster '" + cluster.name() + "', " + memberCount() + " members, joined in " + joinMillis + " ms";
  }

  private HazelcastInstance hazelcast() {
    return manager.getHazelcastInstance();
  }





  private int memberCount() {
    try {
      return hazelcast().getLifecycleService().isRunning() ? hazelcast().getCluster().getMembers().size() : 0;
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private ClusterConfig settings(PulseConfig config) {
    if (cluster == null) {
      cluster = ClusterConfig.from(config);
    }
    return cluster;
  }

  private void announceLeave(PulseConfig config, ChannelKey key, ClientInfo client) {
    if (config.app(key.app()) != null && config.channelOptions(key).joinLeave()) {
      JsonObject frame = new JsonObject().put("type", "leave").put("channel", key.channel()).put("user", client.user());
      if (client.name() != null) {
        frame.put("name", client.name());
      }
      bridge.publishEvent(key, frame.encode());
    }
  }
}
