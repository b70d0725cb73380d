package dev.apexpulse.db;

import dev.apexpulse.channel.IdempotencyKey;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.DbSettings;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.lease.Lease;
import dev.apexpulse.lease.Runners;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Publishes the rows of {@code pulse_outbox} (see ARCHITECTURE.md and docs/DATABASE.md).
 *
 * <p>One node per cluster polls ({@link Lease} on {@value #LOCK}). Each poll selects the next batch
 * in id order, publishes the rows one after the other through the {@link Publisher} (each publish
 * completes before the next starts, so a channel's messages keep the row order), then deletes exactly
 * the ids it published. There is no "last id seen" mark: identity values commit out of order, and a
 * row that commits late, below ids already published, is simply found by the next poll. A row that
 * can never be published (payload not JSON, unknown app, bad channel, too large) is moved to
 * {@code pulse_outbox_dead} with the reason, in one transaction with its delete, and the rows behind
 * it go on. Any other failure (database unreachable, history unavailable) stops the batch; the poller
 * backs off (doubling, up to {@code outbox.maxBackoffMillis}) and starts again from the first row still
 * in the table, so nothing is lost: delivery is at least once.
 *
 * <p>On PostgreSQL the {@link OutboxDoorbell} rings when rows commit: a waiting poller polls at once,
 * a polling one polls again as soon as it is done. The interval poll stays as a safety net
 * ({@code outbox.listenIntervalMillis} while the doorbell listens, {@code outbox.intervalMillis} while
 * it does not), since notifications sent while the LISTEN connection is down are lost.
 *
 * <p>Rows published whose delete failed are remembered (by id, while this node stays the poller) and
 * only deleted, not published again, when the database is back; a row is published twice only when
 * the poller dies between a publish and its delete.
 */
public final class OutboxVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxVerticle.class);
  public static final String LOCK = "pulse.lock.outbox";
  /** The key of the poller's entry in {@link Runners}. */
  public static final String RUNNER_KEY = "outbox";
  static final long LEASE_RETRY_MILLIS = 1000;
  static final long BACKLOG_EVERY_MILLIS = 5000;
  private static final int MAX_UNCONFIRMED = 10_000;
  private static final int MAX_REASON = 1000;
  private static final PulseException STOPPING = new PulseException(ErrorCode.UNAVAILABLE, "outbox poller stopping");

  private final Publisher publisher;
  private final String nodeId;
  private final Database db;
  private final DbSettings.Outbox cfg;
  private final OutboxMetrics metrics;
  private final OutboxDoorbell doorbell;
  private final Set<Long> unconfirmed = new LinkedHashSet<>();
  private Lease lease;
  private Runners runners;
  private long timer = -1;
  private long backlogTimer = -1;
  private boolean counting;
  private boolean stopped;
  private boolean listening;
  /** The doorbell rang while a poll was running: poll again as soon as it ends. */
  private boolean rang;
  private Future<Integer> cycle = Future.succeededFuture(0);
  private int failures;
  private String failing;
  private long failingSince;

  private record OutboxRow(long id, String app, String channel, String payload) {}

  /**
   * @param doorbell rings when rows commit (PostgreSQL), or null: then the poller only polls every
   *                 {@code outbox.intervalMillis}
   */
  public OutboxVerticle(Publisher publisher, String nodeId, Database db, OutboxMetrics metrics, OutboxDoorbell doorbell) {
    this.publisher = publisher;
    this.nodeId = nodeId;
    this.db = db;
    this.cfg = db.settings().outbox();
    this.metrics = metrics;
    this.doorbell = doorbell;
  }

  @Override
  public Future<?> start() {
    runners = new Runners(vertx);
    lease = new Lease(vertx, LOCK, LEASE_RETRY_MILLIS, this::becameRunner);
    lease.start();
    return Future.succeededFuture();
  }

  /** Whether this node is the cluster's outbox poller now. */
  public boolean runner() {
    return lease != null && lease.held();
  }

  private void becameRunner() {
    LOG.info("outbox: node {} polls pulse_outbox for the cluster (batch {}, every {} ms)", nodeId, cfg.batch(), cfg.intervalMillis());
    metrics.runner(true);
    runners.put(RUNNER_KEY, new JsonObject().put("runner", nodeId).put("since", Instant.now().toString()))
        .onFailure(e -> LOG.debug("cannot record the outbox runner: {}", e.toString()));
    backlogTimer = vertx.setPeriodic(BACKLOG_EVERY_MILLIS, t -> countBacklog());
    schedule(0);
    countBacklog();
    if (doorbell != null) {
      doorbell.start(this::ring, this::listening);
    }
  }

  /** Rows committed: poll now, or right after the poll that is running. Not while backing off after failures. */
  private void ring() {
    if (stopped || failures > 0) {
      return;
    }
    if (timer == -1) {
      rang = true;
      return;
    }
    vertx.cancelTimer(timer);
    timer = -1;
    poll();
  }

  private void listening(boolean on) {
    boolean was = listening;
    listening = on;
    metrics.listening(on);
    if (was && !on) {
      ring(); // the long wait of a listening poller no longer holds: poll, then every intervalMillis
    }
  }

  private void schedule(long delay) {
    if (stopped) {
      return;
    }
    timer = vertx.setTimer(Math.max(1, delay), t -> {
      timer = -1;
      poll();
    });
  }

  private void poll() {
    cycle = db.migrated().compose(v -> fetch()).compose(this::process);
    cycle.onComplete(this::after);
  }

  private Future<List<OutboxRow>> fetch() {
    return db.withConnection(conn -> conn.preparedQuery(OutboxSql.SELECT_BATCH).execute(Tuple.of(cfg.batch())))
        .map(rows -> {
          List<OutboxRow> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new OutboxRow(((Number) r.getValue(0)).longValue(), text(r.getValue(1)), text(r.getValue(2)), text(r.getValue(3))));
          }
          return out;
        });
  }

  private static String text(Object v) {
    return v == null ? null : v.toString();
  }

  private Future<Integer> process(List<OutboxRow> rows) {
    forgetGone(rows);
    List<Long> published = new ArrayList<>(rows.size());
    Promise<Void> all = Promise.promise();
    step(rows.iterator(), published, all);
    // delete what was published, also when the batch stopped half-way
    return all.future().transform(done -> delete(published).transform(deleted -> {
      if (done.failed()) {
        return Future.failedFuture(done.cause());
      }
      if (deleted.failed()) {
        return Future.failedFuture(deleted.cause());
      }
      return Future.succeededFuture(rows.size());
    }));
  }

  /**
   * One row after the other, each publish complete before the next starts; a loop rather than a chain
   * of compose calls, so that publishes that complete at once do not nest a stack frame per row.
   */
  private void step(Iterator<OutboxRow> rows, List<Long> published, Promise<Void> done) {
    while (rows.hasNext()) {
      if (stopped) {
        done.fail(STOPPING);
        return;
      }
      Future<Void> f = handle(rows.next(), published);
      if (!f.isComplete()) {
        f.onComplete(ar -> {
          if (ar.failed()) {
            done.fail(ar.cause());
          } else {
            step(rows, published, done);
          }
        });
        return;
      }
      if (f.failed()) {
        done.fail(f.cause());
        return;
      }
    }
    done.complete();
  }

  /** Unconfirmed ids below the table's first id are gone (deleted after all): forget them. */
  private void forgetGone(List<OutboxRow> rows) {
    if (unconfirmed.isEmpty()) {
      return;
    }
    if (rows.isEmpty()) {
      unconfirmed.clear();
    } else {
      long first = rows.get(0).id();
      unconfirmed.removeIf(id -> id < first);
    }
  }

  private Future<Void> handle(OutboxRow row, List<Long> published) {
    if (unconfirmed.contains(row.id())) {
      // published before a delete that failed: delete it now, do not publish it again
      published.add(row.id());
      return Future.succeededFuture();
    }
    String problem = JsonText.problem(row.payload());
    if (problem != null) {
      return moveAside(row, "bad_json", problem);
    }
    // its id as idempotency key: a row published again (its poller died before deleting it) is a repeat
    String once = IdempotencyKey.outboxRow(row.id());
    return publisher.publishJson(row.app(), row.channel(), row.payload().strip(), null, once).transform(ar -> {
      if (ar.succeeded()) {
        published.add(row.id());
        metrics.published();
        return Future.succeededFuture();
      }
      if (ar.cause() instanceof PulseException p && isRowProblem(p.code())) {
        return moveAside(row, p.code().wire(), p.getMessage());
      }
      return Future.failedFuture(ar.cause());
    });
  }

  /** Problems of the row itself, which no retry can fix. */
  private static boolean isRowProblem(ErrorCode code) {
    return code == ErrorCode.NOT_FOUND || code == ErrorCode.BAD_REQUEST || code == ErrorCode.TOO_LARGE;
  }

  private Future<Void> moveAside(OutboxRow row, String code, String message) {
    String full = code + ": " + message;
    String reason = full.length() > MAX_REASON ? full.substring(0, MAX_REASON) : full;
    return db.withTransaction(conn -> conn.preparedQuery(OutboxSql.MOVE_TO_DEAD).execute(Tuple.of(reason, row.id()))
            .compose(r -> conn.preparedQuery(OutboxSql.DELETE_ONE).execute(Tuple.of(row.id()))))
        .<Void>mapEmpty()
        .onSuccess(v -> {
          metrics.dead(code);
          LOG.warn("outbox: row {} (app {}, channel {}) moved to pulse_outbox_dead: {}", row.id(), row.app(), row.channel(), reason);
        });
  }

  private Future<Void> delete(List<Long> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> batch = new ArrayList<>(ids.size());
    for (Long id : ids) {
      batch.add(Tuple.of(id));
    }
    return db.withConnection(conn -> conn.preparedQuery(OutboxSql.DELETE_ONE).executeBatch(batch))
        .<Void>mapEmpty()
        .andThen(ar -> {
          if (ar.succeeded()) {
            ids.forEach(unconfirmed::remove);
          } else {
            if (unconfirmed.size() + ids.size() > MAX_UNCONFIRMED) {
              unconfirmed.clear();
            }
            unconfirmed.addAll(ids);
          }
        });
  }

  private void after(AsyncResult<Integer> ar) {
    if (stopped) {
      return;
    }
    if (ar.succeeded()) {
      if (failures > 0) {
        LOG.info("outbox: polling again after {} failed attempts ({} s)", failures,
            String.format("%.1f", (System.currentTimeMillis() - failingSince) / 1000.0));
        failures = 0;
        failing = null;
        metrics.polling(true);
      }
      boolean more = rang || ar.result() >= cfg.batch();
      rang = false;
      schedule(more ? 0 : listening ? cfg.listenIntervalMillis() : cfg.intervalMillis());
      return;
    }
    failures++;
    rang = false;
    metrics.pollFailed();
    metrics.polling(false);
    String problem = describe(ar.cause());
    long backoff = backoff(failures, cfg.intervalMillis(), cfg.maxBackoffMillis());
    if (failures == 1) {
      failingSince = System.currentTimeMillis();
      LOG.warn("outbox: {}; retrying with backoff (up to {} ms), nothing is lost", problem, cfg.maxBackoffMillis());
    } else if (!problem.equals(failing)) {
      LOG.warn("outbox: still not polling after {} attempts, now: {}", failures, problem);
    }
    failing = problem;
    schedule(backoff);
  }

  /** Doubling from the poll interval (at least 250 ms), capped. */
  static long backoff(int failures, long interval, long max) {
    long base = Math.max(250, interval);
    int shift = Math.min(failures - 1, 20);
    return Math.min(max, base << shift);
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return Database.isConnectionError(e) ? "database unreachable: " + msg : "polling failed: " + msg;
  }

  private void countBacklog() {
    if (counting || stopped || failures > 0) {
      return;
    }
    counting = true;
    db.withConnection(conn -> conn.query(OutboxSql.COUNT).execute())
        .onSuccess(rows -> metrics.backlog(((Number) rows.iterator().next().getValue(0)).longValue()))
        .onComplete(ar -> counting = false);
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
    if (backlogTimer != -1) {
      vertx.cancelTimer(backlogTimer);
    }
    Promise<Void> done = Promise.promise();
    Future<Void> quiet = doorbell == null ? Future.succeededFuture() : doorbell.stop();
    Future.join(cycle, quiet).onComplete(ar -> {
      lease.release();
      metrics.runner(false);
      metrics.listening(false);
      done.complete();
    });
    return done.future();
  }
}
