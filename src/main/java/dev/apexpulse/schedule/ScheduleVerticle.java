package dev.apexpulse.schedule;

import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.config.Schedule;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.db.Database;
import dev.apexpulse.lease.Lease;
import dev.apexpulse.lease.Runners;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the configured jobs: on each run a SQL job publishes {@code {"rows":[…],"at":"…"}} (column
 * names in lower case, at most {@code maxRows} rows, {@code "truncated":true} when rows were cut), a
 * job without SQL publishes {@code {"tick":n,"at":"…"}}. {@code at} is when the run started, ISO-8601
 * UTC. Each job runs on one node of the cluster at a time ({@link Lease} {@code pulse.lock.job.<name>});
 * its state (runner, runs, last and next run, last error) is kept in {@link Runners} so any node can
 * list it and the node that takes over goes on counting. A run that fails is logged (the first
 * failure, a changed error, then once a minute while it keeps failing), counted, and the job runs
 * again at its next time. Runs of one job never overlap; runs missed while a run was late are skipped.
 *
 * <p>Time comes from the injected {@link Clock}: the delay to the next run is computed with it, so a
 * test can move the clock to just before a cron time in some zone.
 */
public final class ScheduleVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ScheduleVerticle.class);
  public static final String LOCK_PREFIX = "pulse.lock.job.";
  /** The runner of a triggerable job consumes its triggers here, so a trigger from any node reaches it. */
  public static final String TRIGGER_PREFIX = "pulse.trigger.";
  static final long LEASE_RETRY_MILLIS = 1000;
  /** A cron run missed by at most this much while the runner changed is run at once by the new runner. */
  static final Duration CATCH_UP = Duration.ofSeconds(60);
  private static final long LOG_REPEAT_MILLIS = 60_000;
  /** Extra time on top of the query timeout before a run is given up (a driver that ignores the timeout). */
  private static final long GUARD_MILLIS = 5_000;

  private final Publisher publisher;
  private final String nodeId;
  private final Database db;
  private final Clock clock;
  private final JobMetrics metrics;
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private Runners runners;
  private boolean stopped;

  /**
   * @param db null when no database is configured (then no job has SQL)
   */
  public ScheduleVerticle(Publisher publisher, String nodeId, Database db, List<JobSettings> jobs, Clock clock,
                          MeterRegistry registry) {
    this.publisher = publisher;
    this.nodeId = nodeId;
    this.db = db;
    this.clock = clock;
    this.metrics = new JobMetrics(registry);
    for (JobSettings j : jobs) {
      if (j.sql() != null && db == null) {
        throw new IllegalArgumentException("job " + j.name() + " has SQL but there is no database");
      }
      this.jobs.put(j.name(), new Job(j));
      metrics.register(j.name());
    }
  }

  @Override
  public Future<?> start() {
    runners = new Runners(vertx);
    for (Job job : jobs.values()) {
      job.lease = new Lease(vertx, LOCK_PREFIX + job.cfg.name(), LEASE_RETRY_MILLIS, () -> job.acquired());
      job.lease.start();
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    List<Future<Void>> running = new ArrayList<>();
    for (Job job : jobs.values()) {
      if (job.timer != -1) {
        vertx.cancelTimer(job.timer);
      }
      if (job.triggers != null) {
        job.triggers.unregister();
      }
      running.add(job.running.otherwiseEmpty().andThen(ar -> {
        job.lease.release();
        metrics.runner(job.cfg.name(), false);
      }));
    }
    return Future.join(running);
  }

  /** Whether this node runs the job now. */
  public boolean runs(String job) {
    Job j = jobs.get(job);
    return j != null && j.lease != null && j.lease.held();
  }

  /**
   * The jobs of an app as GET /api/v1/jobs lists them: configuration plus the state their runner
   * recorded (runner node, runs, failures, last run, duration, outcome, next run, last error).
   */
  public Future<JsonArray> describe(String app) {
    List<Future<JsonObject>> items = new ArrayList<>();
    for (Job job : jobs.values()) {
      if (!job.cfg.app().equals(app)) {
        continue;
      }
      items.add(runners.get(key(job.cfg.name())).map(state -> job.describe(state)));
    }
    return Future.all(items).map(all -> {
      JsonArray out = new JsonArray();
      for (int i = 0; i < all.size(); i++) {
        out.add(all.<JsonObject>resultAt(i));
      }
      return out;
    });
  }

  static String key(String job) {
    return "job:" + job;
  }

  /**
   * Asks the job's runner, on whichever node it is, to run the job now. Completes when a run that
   * started after the request has published (or failed); requests within the job's
   * {@code minIntervalMillis} share one run.
   */
  public static Future<Void> trigger(Vertx vertx, JobSettings job) {
    long timeout = job.timeoutSeconds() * 1000L + GUARD_MILLIS + job.minIntervalMillis() + 5_000;
    return vertx.eventBus().request(TRIGGER_PREFIX + job.name(), job.name(), new DeliveryOptions().setSendTimeout(timeout))
        .mapEmpty();
  }

  private final class Job {
    final JobSettings cfg;
    Lease lease;
    long timer = -1;
    Future<Void> running = Future.succeededFuture();
    // triggers: the run they wait for, not started yet, and when the last run of any kind started
    MessageConsumer<String> triggers;
    Promise<Void> nextTriggered;
    long lastStartNanos = Long.MIN_VALUE;
    // state, kept in Runners
    long runs;
    long failures;
    Instant lastRun;
    long lastDurationMillis;
    String lastOutcome;
    String lastError;
    Instant lastErrorAt;
    Instant nextRun;
    String lastHash;
    // logging
    int streak;
    String loggedError;
    long loggedAt;

    Job(JobSettings cfg) {
      this.cfg = cfg;
    }

    /** This node became the runner: continue from the state the previous runner left. */
    void acquired() {
      metrics.runner(cfg.name(), true);
      // every job: the operator console runs any job now; clients only triggerable ones (Connection checks)
      triggers = vertx.eventBus().consumer(TRIGGER_PREFIX + cfg.name(), this::onTrigger);
      runners.get(key(cfg.name())).otherwise((JsonObject) null).onComplete(ar -> {
        if (stopped) {
          return;
        }
        Instant previousNext = restore(ar.result());
        Instant now = clock.instant();
        Instant due;
        if (cfg.schedule() instanceof Schedule.Every every) {
          // keep the cadence of the previous runner; never later than one interval from now
          due = previousNext != null && previousNext.isAfter(now) && !previousNext.isAfter(now.plus(every.interval()))
              ? previousNext : now;
        } else if (previousNext != null && !previousNext.isAfter(now)
            && Duration.between(previousNext, now).compareTo(CATCH_UP) <= 0) {
          due = now; // its runner died just before this run
        } else {
          due = cfg.schedule().next(now);
        }
        LOG.info("job {} (app {}, channel {}): node {} runs it, {}, next run {}", cfg.name(), cfg.app(), cfg.channel(), nodeId,
            cfg.schedule().toJson().encode(), due);
        arm(due);
      });
    }

    private Instant restore(JsonObject s) {
      if (s == null) {
        return null;
      }
      runs = s.getLong("runs", 0L);
      failures = s.getLong("failures", 0L);
      lastRun = instant(s.getString("lastRun"));
      lastDurationMillis = s.getLong("lastDurationMillis", 0L);
      lastOutcome = s.getString("lastOutcome");
      lastError = s.getString("lastError");
      lastErrorAt = instant(s.getString("lastErrorAt"));
      lastHash = s.getString("lastHash");
      return instant(s.getString("nextRun"));
    }

    void arm(Instant due) {
      nextRun = due;
      save();
      if (due == null) {
        LOG.warn("job {}: its cron expression has no further run time", cfg.name());
        return;
      }
      long delay = Duration.between(clock.instant(), due).toMillis();
      timer = vertx.setTimer(Math.max(1, delay), t -> fire(due));
    }

    void fire(Instant due) {
      timer = -1;
      if (stopped) {
        return;
      }
      Instant now = clock.instant();
      if (now.isBefore(due)) {
        // the timer fired a little early by this clock: wait for the rest
        timer = vertx.setTimer(Math.max(1, Duration.between(now, due).toMillis()), t -> fire(due));
        return;
      }
      // after a triggered run that may still be going: runs of one job never overlap
      running = running.transform(previous -> run());
      running.onComplete(ar -> {
        if (stopped) {
          return;
        }
        Instant after = clock.instant();
        Instant next = cfg.schedule().next(due);
        if (next != null && !next.isAfter(after)) {
          // this run ended after its next time: skip what was missed
          next = cfg.schedule() instanceof Schedule.Every ? after : cfg.schedule().next(after);
        }
        arm(next);
      });
    }

    /** Coalesces triggers: the next triggered run starts after the current one and the minimum interval. */
    private void onTrigger(io.vertx.core.eventbus.Message<String> request) {
      if (nextTriggered == null) {
        Promise<Void> next = Promise.promise();
        nextTriggered = next;
        running.onComplete(done -> {
          long wait = lastStartNanos == Long.MIN_VALUE ? 0
              : TimeUnit.NANOSECONDS.toMillis(lastStartNanos + TimeUnit.MILLISECONDS.toNanos(cfg.minIntervalMillis()) - System.nanoTime());
          vertx.setTimer(Math.max(1, wait), t -> {
            nextTriggered = null;
            if (stopped) {
              next.fail("job runner stopping");
              return;
            }
            running = running.transform(previous -> run());
            // recorded before the reply, so that whoever triggered sees this run in the job's state
            running.transform(ar -> save().otherwiseEmpty()).onComplete(next);
          });
        });
      }
      nextTriggered.future().onComplete(ar -> {
        if (lastOutcome != null && lastOutcome.equals("failed")) {
          request.fail(ErrorCode.UNAVAILABLE.httpStatus(), "job " + cfg.name() + " failed: " + lastError);
        } else {
          request.reply(lastOutcome);
        }
      });
    }

    Future<Void> run() {
      long started = System.nanoTime();
      lastStartNanos = started;
      Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      runs++;
      Future<String> outcome;
      if (cfg.sql() == null) {
        JsonObject tick = new JsonObject().put("tick", runs).put("at", at.toString());
        outcome = publisher.publish(cfg.app(), cfg.channel(), tick, null).map("published");
      } else {
        outcome = guarded(db.query(cfg.sql(), cfg.timeoutSeconds())).compose(rows -> publishRows(rows, at));
      }
      return outcome.transform(ar -> {
        long nanos = System.nanoTime() - started;
        lastRun = at;
        lastDurationMillis = nanos / 1_000_000;
        if (ar.succeeded()) {
          lastOutcome = ar.result();
          if (streak > 0) {
            LOG.info("job {} ok again after {} failed runs", cfg.name(), streak);
            streak = 0;
          }
        } else {
          lastOutcome = "failed";
          failed(ar.cause());
        }
        metrics.ran(cfg.name(), lastOutcome, nanos);
        return Future.<Void>succeededFuture();
      });
    }

    private <T> Future<T> guarded(Future<T> work) {
      return work.timeout(cfg.timeoutSeconds() * 1000L + GUARD_MILLIS, TimeUnit.MILLISECONDS)
          .recover(e -> Future.failedFuture(e instanceof java.util.concurrent.TimeoutException
              ? new IllegalStateException("no answer within " + cfg.timeoutSeconds() + " s (timeoutSeconds)") : e));
    }

    private Future<String> publishRows(RowSet<Row> result, Instant at) {
      List<String> columns = result.columnsNames();
      JsonArray rows = new JsonArray();
      boolean truncated = false;
      for (Row row : result) {
        if (rows.size() == cfg.maxRows()) {
          truncated = true;
          break;
        }
        JsonObject o = new JsonObject();
        for (int i = 0; i < columns.size(); i++) {
          o.put(columns.get(i).toLowerCase(Locale.ROOT), jsonValue(row.getValue(i)));
        }
        rows.add(o);
      }
      String hash = sha256(rows.encode() + (truncated ? "+" : ""));
      if (cfg.onlyIfChanged() && hash.equals(lastHash)) {
        return Future.succeededFuture("unchanged");
      }
      JsonObject data = new JsonObject().put("rows", rows).put("at", at.toString());
      if (truncated) {
        data.put("truncated", true);
      }
      return publisher.publish(cfg.app(), cfg.channel(), data, null).recover(e -> {
        if (e instanceof PulseException p && p.code() == ErrorCode.TOO_LARGE) {
          return Future.failedFuture(new PulseException(ErrorCode.TOO_LARGE,
              "result of " + rows.size() + " rows is too large to publish (" + p.getMessage() + "): lower maxRows or select less"));
        }
        return Future.failedFuture(e);
      }).map(m -> {
        lastHash = hash;
        return "published";
      });
    }

    private void failed(Throwable e) {
      String error = oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      failures++;
      streak++;
      lastError = error;
      lastErrorAt = clock.instant();
      long now = System.currentTimeMillis();
      if (streak == 1 || !error.equals(loggedError) || now - loggedAt >= LOG_REPEAT_MILLIS) {
        if (streak == 1) {
          LOG.warn("job {} (app {}, channel {}) failed, will run again at its next time: {}", cfg.name(), cfg.app(), cfg.channel(), error);
        } else {
          LOG.warn("job {} (app {}, channel {}) failed {} times in a row: {}", cfg.name(), cfg.app(), cfg.channel(), streak, error);
        }
        loggedError = error;
        loggedAt = now;
      }
    }

    Future<Void> save() {
      JsonObject s = new JsonObject()
          .put("runner", nodeId)
          .put("runs", runs)
          .put("failures", failures)
          .put("lastRun", text(lastRun))
          .put("lastDurationMillis", lastDurationMillis)
          .put("lastOutcome", lastOutcome)
          .put("lastError", lastError)
          .put("lastErrorAt", text(lastErrorAt))
          .put("nextRun", text(nextRun))
          .put("lastHash", lastHash);
      return runners.put(key(cfg.name()), s).onFailure(e -> LOG.debug("cannot record the state of job {}: {}", cfg.name(), e.toString()));
    }

    JsonObject describe(JsonObject state) {
      JsonObject o = new JsonObject()
          .put("name", cfg.name())
          .put("app", cfg.app())
          .put("channel", cfg.channel())
          .put("schedule", cfg.schedule().toJson())
          .put("kind", cfg.sql() == null ? "tick" : "sql")
          .put("onlyIfChanged", cfg.onlyIfChanged())
          .put("triggerable", cfg.triggerable());
      if (cfg.sql() != null) {
        o.put("maxRows", cfg.maxRows()).put("timeoutSeconds", cfg.timeoutSeconds());
      }
      JsonObject s = state == null ? new JsonObject() : state;
      return o.put("runner", s.getString("runner"))
          .put("runs", s.getLong("runs", 0L))
          .put("failures", s.getLong("failures", 0L))
          .put("lastRun", s.getString("lastRun"))
          .put("lastDurationMillis", s.getLong("lastDurationMillis"))
          .put("lastOutcome", s.getString("lastOutcome"))
          .put("nextRun", s.getString("nextRun"))
          .put("lastError", s.getString("lastError"))
          .put("lastErrorAt", s.getString("lastErrorAt"));
    }
  }

  /** A JDBC value as JSON: numbers, strings and booleans as they are, times as ISO-8601 text, bytes as base64url. */
  static Object jsonValue(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
        || v instanceof Short || v instanceof Byte || v instanceof Double || v instanceof Float) {
      return v;
    }
    if (v instanceof BigDecimal d) {
      try {
        return d.longValueExact();
      } catch (ArithmeticException notWhole) {
        return d;
      }
    }
    if (v instanceof BigInteger i) {
      return i.bitLength() < 64 ? (Object) i.longValue() : new BigDecimal(i);
    }
    if (v instanceof Buffer b) {
      return b.getBytes();
    }
    if (v instanceof byte[] bytes) {
      return bytes;
    }
    if (v instanceof TemporalAccessor) {
      return v.toString();
    }
    return v.toString();
  }

  /** Error messages span lines (H2 appends the statement): one line of at most 500 characters. */
  static String oneLine(String message) {
    String s = message.strip().replaceAll("\\s*\\R\\s*", " ");
    return s.length() > 500 ? s.substring(0, 500) + "…" : s;
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static String text(Instant i) {
    return i == null ? null : i.truncatedTo(ChronoUnit.MILLIS).toString();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
