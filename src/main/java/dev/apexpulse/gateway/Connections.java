package dev.apexpulse.gateway;

import dev.apexpulse.core.CloseCode;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.transport.Connection;
import dev.apexpulse.transport.ConnectionInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The connections of one event loop, whatever their transport: heartbeats, listing, closing. Touched
 * on that loop only; the public methods may be called from anywhere and hop onto it.
 */
final class Connections {
  private final Vertx vertx;
  private final Context context;
  private final PulseMetrics metrics;
  private final Set<Connection> open = new LinkedHashSet<>();

  Connections(Vertx vertx, Context context, PulseMetrics metrics) {
    this.vertx = vertx;
    this.context = context;
    this.metrics = metrics;
  }

  /** A connection that was counted ({@link PulseMetrics#connectionOpened}) when its upgrade began. */
  void add(Connection c) {
    open.add(c);
    metrics.transportOpened(c.kind());
  }

  /** Called once a connection ended (any number of times: only the first counts). */
  void ended(Connection c) {
    if (open.remove(c)) {
      metrics.connectionClosed();
      metrics.transportClosed(c.kind());
    }
  }

  void heartbeat(long nowNanos, long silentLimitNanos) {
    for (Connection c : new ArrayList<>(open)) {
      c.heartbeat(nowNanos, silentLimitNanos);
    }
  }

  Future<List<ConnectionInfo>> list() {
    Promise<List<ConnectionInfo>> done = Promise.promise();
    context.runOnContext(v -> {
      List<ConnectionInfo> out = new ArrayList<>(open.size());
      for (Connection c : open) {
        out.add(c.endpoint().info());
      }
      done.complete(out);
    });
    return done.future();
  }

  /** Closes the connections that match with the given code; completes with their number. */
  Future<Integer> disconnect(Predicate<ConnectionInfo> which, short code, String reason) {
    Promise<Integer> done = Promise.promise();
    context.runOnContext(v -> {
      int n = 0;
      for (Connection c : new ArrayList<>(open)) {
        if (which.test(c.endpoint().info())) {
          c.endpoint().close(code, reason);
          n++;
        }
      }
      done.complete(n);
    });
    return done.future();
  }

  /** Closes every connection with 1012 in batches, so clients reconnect elsewhere without a stampede. */
  Future<Void> closeAll(int batchSize, long pauseMillis) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> closeBatch(batchSize, pauseMillis, done));
    return done.future();
  }

  private void closeBatch(int batchSize, long pauseMillis, Promise<Void> done) {
    List<Connection> batch = new ArrayList<>();
    for (Connection c : open) {
      if (batch.size() == batchSize) {
        break;
      }
      batch.add(c);
    }
    for (Connection c : batch) {
      c.endpoint().close(CloseCode.RESTARTING, "node restarting, reconnect");
    }
    if (open.isEmpty()) {
      done.complete();
    } else {
      vertx.setTimer(Math.max(1, pauseMillis), t -> closeBatch(batchSize, pauseMillis, done));
    }
  }

  /** On the loop, as the verticle stops. */
  void closeNow() {
    for (Connection c : new ArrayList<>(open)) {
      c.endpoint().close(CloseCode.RESTARTING, "node restarting, reconnect");
    }
  }
}
