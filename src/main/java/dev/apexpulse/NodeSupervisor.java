package dev.apexpulse;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.engine.Engines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Keeps a node running in this process. A node that stopped itself because it can no longer serve
 * correctly ({@link Node#fail}: dropped by its cluster while frozen, or cut off in a minority) is
 * replaced by a fresh one built from the same configuration, which joins the cluster again: its start
 * waits as long as the cluster needs (a minority member waits for the partition to heal). If the fresh
 * start fails, the process exits with {@link Main#EXIT_FAILED} for its own supervisor to restart.
 */
final class NodeSupervisor {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSupervisor.class);

  private final PulseConfig config;
  private final Supplier<Engines> engines;
  private final Runnable afterDrain;
  private volatile Node current;

  /**
   * @param engines    fresh engines for each start (they hold that node's cluster member)
   * @param afterDrain what to do once an operator's drain finished (exit the process)
   */
  NodeSupervisor(PulseConfig config, Supplier<Engines> engines, Node first, Runnable afterDrain) {
    this.config = config;
    this.engines = engines;
    this.afterDrain = afterDrain;
    watch(first);
  }

  /** The node serving now (the one that stopped itself, while its replacement starts). */
  Node current() {
    return current;
  }

  private void watch(Node node) {
    current = node;
    node.afterDrain(afterDrain);
    node.failed().onSuccess(reason -> new Thread(this::restart, "pulse-restart").start());
  }

  private void restart() {
    LOG.warn("node {}: starting a fresh node in this process", config.nodeId());
    long t0 = System.nanoTime();
    try {
      Node fresh = Node.start(config, engines.get()).toCompletionStage().toCompletableFuture().get();
      watch(fresh);
      LOG.info("node {} back: ready on {}:{} ({}) {} ms after it stopped", config.nodeId(), config.http().host(),
          fresh.port(), fresh.describe(), (System.nanoTime() - t0) / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.error("node {}: the fresh start failed ({}); exiting with {} so that the process is restarted",
          config.nodeId(), e.getCause().toString(), Main.EXIT_FAILED);
      System.exit(Main.EXIT_FAILED);
    }
  }
}
