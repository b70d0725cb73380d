package dev.apexpulse.lease;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Only one node runs this": a lock from Vert.x shared data, held for as long as this node runs the
 * work. Standalone it is a local lock; clustered (Hazelcast) it is a cluster-wide lock that the
 * cluster releases when its holder leaves or dies, after which another node's next attempt gets it.
 * Nodes that do not hold it try again every {@code retryMillis} with a short wait, so no worker
 * thread is parked on the lock for long.
 *
 * <p>Not thread-safe: use it from one Vert.x context (a verticle's). One contender per node and
 * lock name: Hazelcast's IMap locks are re-entrant for the thread that holds them, and Vert.x takes
 * them on worker threads, so two contenders inside one clustered node could both get it.
 */
public final class Lease {
  private static final Logger LOG = LoggerFactory.getLogger(Lease.class);
  /**
   * How long one attempt waits for the lock. Short: clustered, an attempt holds a worker thread (the
   * JDBC client's threads too) while it waits, and every non-runner node attempts once a second per
   * job.
   */
  static final long ATTEMPT_MILLIS = 20;

  private final Vertx vertx;
  private final String name;
  private final long retryMillis;
  private final Runnable onAcquired;
  private Lock lock;
  private boolean stopped;
  private long timer = -1;

  public Lease(Vertx vertx, String name, long retryMillis, Runnable onAcquired) {
    this.vertx = vertx;
    this.name = name;
    this.retryMillis = retryMillis;
    this.onAcquired = onAcquired;
  }

  public void start() {
    attempt();
  }

  private void attempt() {
    timer = -1;
    if (stopped) {
      return;
    }
    vertx.sharedData().getLockWithTimeout(name, ATTEMPT_MILLIS).onComplete(ar -> {
      if (ar.succeeded()) {
        if (stopped) {
          ar.result().release();
          return;
        }
        lock = ar.result();
        LOG.debug("acquired {}", name);
        onAcquired.run();
      } else if (!stopped) {
        timer = vertx.setTimer(retryMillis, t -> attempt());
      }
    });
  }

  public boolean held() {
    return lock != null;
  }

  public String name() {
    return name;
  }

  /** Stops trying and releases the lock if held; another node's next attempt gets it. */
  public void release() {
    stopped = true;
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    if (lock != null) {
      lock.release();
      lock = null;
      LOG.debug("released {}", name);
    }
  }
}
