package dev.apexpulse.db;

import dev.apexpulse.config.DbSettings;
import dev.apexpulse.config.Dialect;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The outbox's doorbell on PostgreSQL: the trigger of db/postgresql.sql notifies the channel
 * {@value #CHANNEL} when rows commit to pulse_outbox; this LISTENs on a connection of its own and
 * rings the poller, which polls at once instead of waiting for its interval.
 *
 * <p>The connection is a plain JDBC connection of the bundled PostgreSQL driver, made from the same
 * {@code db.url}, user and password as the pool (so every URL parameter, TLS included, applies
 * unchanged), and waits with {@code PGConnection.getNotifications(timeout)} on a worker thread of its
 * own, in rounds of {@value #WAIT_MILLIS} ms so that a stop is noticed. Notifications sent while it is
 * not listening are lost, so each (re)connection rings once: the poll that follows finds what
 * committed meanwhile. A broken connection is replaced with a backoff; until then the poller falls
 * back to {@code outbox.intervalMillis}, as it does while pulse_outbox has no enabled trigger (tables
 * created by hand without it, or a migration that lacked the privilege): listening alone would make
 * the poller wait for a ring that never comes.
 */
public final class OutboxDoorbell {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxDoorbell.class);
  public static final String CHANNEL = "pulse_outbox";
  /** The trigger of db/postgresql.sql that notifies {@link #CHANNEL}. */
  static final String TRIGGER = "pulse_outbox_notify";
  /** The listening session's application_name (pg_stat_activity). */
  public static final String APPLICATION_NAME = "apex-pulse outbox doorbell";
  static final int WAIT_MILLIS = 500;
  /** How often the listening connection looks for the trigger (a query: a silently dropped connection is found too). */
  private static final long CHECK_MILLIS = 10_000;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  private static final AtomicInteger EXECUTORS = new AtomicInteger();

  private final Vertx vertx;
  private final DbSettings settings;
  private WorkerExecutor worker;
  private Runnable ring;
  private Consumer<Boolean> state;
  private volatile boolean stopped;
  private int failures;
  /** Touched only on the worker thread. */
  private Connection conn;
  private long checkedAt;
  /** Whether the trigger was there at the last check; null: not checked on this connection yet. */
  private Boolean armed;

  private OutboxDoorbell(Vertx vertx, DbSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /** A doorbell for PostgreSQL with {@code outbox.listen} on; null for other databases. */
  public static OutboxDoorbell forSettings(Vertx vertx, DbSettings settings) {
    return settings.dialect() == Dialect.POSTGRESQL && settings.outbox().listen() ? new OutboxDoorbell(vertx, settings) : null;
  }

  /**
   * Starts listening. Both callbacks run on the caller's context: {@code ring} when rows may have
   * committed (a notification, a (re)connection, the trigger appearing), {@code state} with true when it
   * listens with the trigger in place and false when the connection is lost or the trigger is missing.
   */
  public void start(Runnable ring, Consumer<Boolean> state) {
    this.ring = ring;
    this.state = state;
    worker = vertx.createSharedWorkerExecutor("pulse-outbox-doorbell-" + EXECUTORS.incrementAndGet(), 1);
    round();
  }

  private void round() {
    if (stopped) {
      return;
    }
    worker.executeBlocking(this::await, true).onComplete(ar -> {
      if (stopped) {
        return;
      }
      if (ar.succeeded()) {
        switch (ar.result()) {
          case ARMED -> {
            armed();
            ring.run();
          }
          case UNARMED -> unarmed();
          case RANG -> ring.run();
          case QUIET -> { }
        }
        round();
        return;
      }
      failures++;
      state.accept(false);
      if (failures == 1) {
        LOG.warn("outbox: LISTEN {} failed ({}); polling every {} ms until it is back", CHANNEL, ar.cause().getMessage(),
            settings.outbox().intervalMillis());
      }
      vertx.setTimer(Math.min(MAX_BACKOFF_MILLIS, 250L << Math.min(failures - 1, 10)), t -> round());
    });
  }

  /** What a round on the worker found. */
  private enum Round {
    /** Listening, and the trigger is there (just connected, or it appeared): rows may have committed unheard. */
    ARMED,
    /** Listening, but no enabled trigger rings: only the interval poll finds rows. */
    UNARMED,
    /** Notified: rows committed. */
    RANG,
    QUIET
  }

  /**
   * On the worker: (re)connects and LISTENs; checks that the outbox trigger is there when connected
   * and every {@value #CHECK_MILLIS} ms (which also finds a connection that died silently); else
   * waits up to {@value #WAIT_MILLIS} ms for a notification.
   */
  private Round await() throws SQLException {
    try {
      if (conn == null) {
        conn = connect();
        try (Statement s = conn.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        armed = null;
        checkedAt = 0;
      }
      if (System.currentTimeMillis() - checkedAt >= CHECK_MILLIS) {
        boolean trigger = triggerEnabled();
        checkedAt = System.currentTimeMillis();
        if (armed == null || armed != trigger) {
          armed = trigger;
          return trigger ? Round.ARMED : Round.UNARMED;
        }
      }
      PGNotification[] got = conn.unwrap(PGConnection.class).getNotifications(WAIT_MILLIS);
      return got != null && got.length > 0 && armed ? Round.RANG : Round.QUIET;
    } catch (SQLException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Whether pulse_outbox (as this connection's search path finds it) has the doorbell trigger, enabled. */
  private boolean triggerEnabled() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.setQueryTimeout(settings.queryTimeoutSeconds());
      try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = to_regclass('pulse_outbox')"
          + " AND tgname = '" + TRIGGER + "' AND tgenabled <> 'D'")) {
        r.next();
        return r.getInt(1) > 0;
      }
    }
  }

  private void armed() {
    if (failures > 0) {
      LOG.info("outbox: listening on {} again after {} failed attempts", CHANNEL, failures);
    } else {
      LOG.info("outbox: listening on {}: committed rows are polled at once", CHANNEL);
    }
    failures = 0;
    state.accept(true);
  }

  private void unarmed() {
    failures = 0;
    state.accept(false);
    LOG.warn("outbox: pulse_outbox has no enabled trigger {}, so nothing rings at commit; polling every {} ms"
        + " (create it as db/postgresql.sql does, see docs/DATABASE.md, or set outbox.listen: false)", TRIGGER,
        settings.outbox().intervalMillis());
  }

  private Connection connect() throws SQLException {
    Properties props = new Properties();
    if (!settings.user().isEmpty()) {
      props.setProperty("user", settings.user());
    }
    if (!settings.password().isEmpty()) {
      props.setProperty("password", settings.password());
    }
    props.setProperty("ApplicationName", APPLICATION_NAME);
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout", Integer.toString(Math.min(10, settings.queryTimeoutSeconds())));
    // bounds the check query on a connection whose peer vanished; getNotifications sets its own wait
    props.setProperty("socketTimeout", Integer.toString(settings.queryTimeoutSeconds() + 5));
    return DriverManager.getConnection(settings.url(), props);
  }

  /** On the worker. */
  private void close() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException ignored) {
        // broken already
      }
      conn = null;
    }
  }

  /** Stops listening and closes the connection (after the round in progress, at most {@value #WAIT_MILLIS} ms). */
  public Future<Void> stop() {
    stopped = true;
    if (worker == null) {
      return Future.succeededFuture();
    }
    return worker.executeBlocking(() -> {
      close();
      return null;
    }, true).<Void>mapEmpty().eventually(() -> worker.close());
  }
}
