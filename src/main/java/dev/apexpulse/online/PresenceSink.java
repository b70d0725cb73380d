package dev.apexpulse.online;

import dev.apexpulse.config.PresenceSinkSettings;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.PresenceListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Keeps {@code pulse_online} current with this node's users: a row per (app, channel, user) with at
 * least one connection subscribed here, stamped with the node and the time of the first one
 * (anonymous connections are not recorded).
 *
 * <p>Joins and leaves only change memory, never wait for the database: a timer writes what changed
 * every {@code flushMillis}, in one transaction. The changes waiting are bounded by {@code maxPending}.
 * Dropped, and counted in {@code pulse_presence_sink_dropped}: a change that finds the queue full, the
 * changes of a write that failed (database down) and those that arrive while it stays down. Either way
 * the next write replaces all of this node's rows from memory, so the table is right again as soon as
 * the database answers. A heartbeat every third of
 * {@code nodeTimeoutSeconds} keeps this node's entry in {@code pulse_online_node} fresh and removes the
 * rows of nodes that stopped sending theirs (killed, frozen, cut off).
 */
public final class PresenceSink implements PresenceListener {
  private static final Logger LOG = LoggerFactory.getLogger(PresenceSink.class);
  private static final long CLOSE_WAIT_MILLIS = 3000;

  private record Key(String app, String channel, String user) {}

  private static final class Here {
    final Set<String> connections = new HashSet<>();
    final Instant since;

    Here(Instant since) {
      this.since = since;
    }
  }

  private final Vertx vertx;
  private final String node;
  private final PresenceSinkSettings settings;
  private final OnlineStore store;
  private final Clock clock;
  private final Counter dropped;
  private final Counter failures;
  // guarded by this
  private final Map<Key, Here> here = new HashMap<>();
  private final Map<Key, Instant> pending = new LinkedHashMap<>(); // the key's since, or null: gone
  private boolean rebuild = true; // the first write replaces what an earlier run with this node id left
  private boolean alive;          // a heartbeat went through: writes may start
  private boolean writing;
  private boolean failing;
  private boolean closed;
  private final long flushTimer;
  private final long heartbeatTimer;

  public PresenceSink(Vertx vertx, String node, PresenceSinkSettings settings, OnlineStore store, Clock clock, MeterRegistry registry) {
    this.vertx = vertx;
    this.node = node;
    this.settings = settings;
    this.store = store;
    this.clock = clock;
    this.dropped = Counter.builder("pulse_presence_sink_dropped")
        .description("Presence changes not written one by one to pulse_online (queue full, database down); the node's rows are rebuilt afterwards")
        .register(registry);
    this.failures = Counter.builder("pulse_presence_sink_failures").description("Writes to pulse_online that failed").register(registry);
    this.flushTimer = vertx.setPeriodic(settings.flushMillis(), t -> flush());
    long beat = Math.max(1000L, settings.nodeTimeoutSeconds() * 1000L / 3);
    this.heartbeatTimer = vertx.setPeriodic(0, beat, t -> heartbeat());
  }

  @Override
  public synchronized void joined(ChannelKey key, ClientInfo client) {
    if (client.user() == null || closed) {
      return;
    }
    Key k = new Key(key.app(), key.channel(), client.user());
    Here h = here.computeIfAbsent(k, x -> new Here(clock.instant()));
    if (h.connections.add(client.connection()) && h.connections.size() == 1) {
      queue(k, h.since);
    }
  }

  @Override
  public synchronized void left(ChannelKey key, ClientInfo client) {
    if (client.user() == null || closed) {
      return;
    }
    Key k = new Key(key.app(), key.channel(), client.user());
    Here h = here.get(k);
    if (h != null && h.connections.remove(client.connection()) && h.connections.isEmpty()) {
      here.remove(k);
      queue(k, null);
    }
  }

  private void queue(Key k, Instant since) {
    if (rebuild) {
      // the next write rebuilds this node's rows from memory anyway; while the database is down
      // this change is one more not written
      if (failing) {
        dropped.increment();
      }
      return;
    }
    if (pending.size() >= settings.maxPending() && !pending.containsKey(k)) {
      dropped.increment();
      LOG.warn("presence sink: more than {} changes waiting for pulse_online, dropping; this node's rows are rebuilt at the next write",
          settings.maxPending());
      rebuild = true;
      pending.clear();
      return;
    }
    pending.put(k, since);
  }

  /** Writes what changed (or rebuilds this node's rows); one write at a time. */
  private void flush() {
    List<OnlineRow> rows = new ArrayList<>();
    boolean all;
    synchronized (this) {
      if (writing || closed || !alive || (!rebuild && pending.isEmpty())) {
        return;
      }
      all = rebuild;
      if (all) {
        here.forEach((k, h) -> rows.add(new OnlineRow(k.app(), k.channel(), k.user(), h.since)));
        rebuild = false;
      } else {
        pending.forEach((k, since) -> rows.add(new OnlineRow(k.app(), k.channel(), k.user(), since)));
      }
      pending.clear();
      writing = true;
    }
    (all ? store.replace(node, rows) : store.apply(node, rows)).onComplete(ar -> {
      synchronized (this) {
        writing = false;
        if (ar.succeeded()) {
          if (failing) {
            LOG.info("presence sink: pulse_online written again ({} rows of this node rebuilt)", all ? rows.size() : "changes");
          }
          failing = false;
          return;
        }
        failures.increment();
        // the changes of this write and those queued meanwhile
        dropped.increment((all ? 0 : rows.size()) + pending.size());
        rebuild = true;
        pending.clear();
        if (!failing) {
          LOG.warn("presence sink: writing pulse_online failed, {} change(s) dropped; retried every {} ms by rebuilding this node's rows: {}",
              rows.size(), settings.flushMillis(), ar.cause().toString());
        }
        failing = true;
      }
    });
  }

  private void heartbeat() {
    store.heartbeat(node, settings.nodeTimeoutSeconds()).onComplete(ar -> {
      if (ar.succeeded()) {
        synchronized (this) {
          alive = true;
        }
        if (ar.result() > 0) {
          LOG.info("presence sink: removed {} pulse_online row(s) of nodes silent for more than {} s", ar.result(), settings.nodeTimeoutSeconds());
        }
      } else {
        LOG.debug("presence sink: heartbeat failed: {}", ar.cause().toString());
      }
    });
  }

  /** Stops writing and removes this node's rows (a node that stops; bounded wait). */
  public Future<Void> close() {
    synchronized (this) {
      if (closed) {
        return Future.succeededFuture();
      }
      closed = true;
    }
    vertx.cancelTimer(flushTimer);
    vertx.cancelTimer(heartbeatTimer);
    return store.remove(node).timeout(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS).recover(e -> {
      LOG.warn("presence sink: this node's pulse_online rows not removed ({}); the other nodes remove them after {} s",
          e.toString(), settings.nodeTimeoutSeconds());
      return Future.succeededFuture();
    });
  }
}
