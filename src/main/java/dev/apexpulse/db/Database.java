package dev.apexpulse.db;

import dev.apexpulse.config.DbSettings;
import dev.apexpulse.config.Dialect;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.jdbcclient.JDBCConnectOptions;
import io.vertx.jdbcclient.JDBCConnection;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The gateway's database: a Vert.x JDBC pool (JDBC calls run on worker threads, one ordered queue per
 * connection), the schema migration and a reachability probe.
 *
 * <p>The JDBC pool of vertx-jdbc-client 5 never finds out that a pooled connection broke (its
 * connections always claim to be valid), so after the database went away every pooled connection
 * would fail forever. Every operation therefore goes through {@link #withConnection} /
 * {@link #withTransaction}: when one fails with a connection error, the pool it used is replaced by
 * a fresh one and closed.
 *
 * <p>Transactions run on a pool of their own: in vertx-jdbc-client 5.0.7 a commit or rollback leaves
 * the JDBC connection in manual-commit mode (vert-x3/vertx-jdbc-client#356, fixed after 5.0.7), so a
 * plain statement that later ran on that connection would never be committed. Connections of the
 * transaction pool only ever run explicit transactions; those of the main pool never do.
 */
public final class Database {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  private static final long PROBE_CACHE_MILLIS = 1000;
  private static final long PROBE_TIMEOUT_MILLIS = 3000;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final Vertx vertx;
  private final DbSettings settings;
  private final int maxRows;
  private final Object lock = new Object();
  private final Pools main;
  private final Pools tx;
  private volatile boolean up;
  private volatile boolean closed;
  private volatile long probedAt;
  private Future<Boolean> probing;
  private Future<Void> migration;
  private volatile boolean migrated;

  private Database(Vertx vertx, DbSettings settings, int maxRows) {
    this.vertx = vertx;
    this.settings = settings;
    this.maxRows = maxRows;
    this.migrated = !settings.migrate();
    this.main = new Pools("pulse-db-", settings.poolSize());
    this.tx = new Pools("pulse-db-tx-", Math.min(2, settings.poolSize()));
  }

  /** A pool that can be replaced when its connections broke. */
  private final class Pools {
    final String name;
    final int size;
    volatile Pool current;

    Pools(String name, int size) {
      this.name = name;
      this.size = size;
      this.current = newPool(name, size);
    }

    /** Replaces the pool if it is still the one that failed; its connections may all be broken. */
    void recycle(Pool used) {
      synchronized (lock) {
        if (closed || current != used) {
          return;
        }
        current = newPool(name, size);
      }
      used.close().onFailure(e -> LOG.debug("closing the old pool: {}", e.toString()));
    }
  }

  /**
   * Creates the pool (connections are made on first use).
   *
   * @param maxRows the most rows any statement returns (JDBC {@code setMaxRows}): bounds memory for job queries
   */
  public static Database open(Vertx vertx, DbSettings settings, int maxRows) {
    return new Database(vertx, settings, maxRows);
  }

  private Pool newPool(String name, int size) {
    JDBCConnectOptions connect = new JDBCConnectOptions()
        .setJdbcUrl(settings.url())
        .setQueryTimeout(settings.queryTimeoutSeconds())
        .setMaxRows(maxRows)
        .setExtraConfig(new JsonObject().put("decoderCls", ClobDecoder.class.getName()));
    if (!settings.user().isEmpty()) {
      connect.setUser(settings.user());
    }
    if (!settings.password().isEmpty()) {
      connect.setPassword(settings.password());
    }
    PoolOptions options = new PoolOptions()
        .setMaxSize(size)
        .setName(name + POOLS.incrementAndGet())
        .setConnectionTimeout(settings.queryTimeoutSeconds())
        .setMaxWaitQueueSize(1000);
    return JDBCPool.pool(vertx, connect, options);
  }

  public DbSettings settings() {
    return settings;
  }

  public Dialect dialect() {
    return settings.dialect();
  }

  /** Whether the last operation or probe reached the database. */
  public boolean up() {
    return up;
  }

  /** Runs {@code work} on a pooled connection; a connection failure replaces the pool. */
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
    Pool p = main.current;
    return p.withConnection(work).andThen(ar -> observe(main, p, ar));
  }

  /** Runs {@code work} in a transaction: committed when its future succeeds, rolled back otherwise. */
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> work) {
    Pool p = tx.current;
    return p.withTransaction(work).andThen(ar -> observe(tx, p, ar));
  }

  /** A query with its own timeout (e.g. a job's {@code timeoutSeconds}). */
  public Future<RowSet<Row>> query(String sql, int timeoutSeconds) {
    return withConnection(conn -> {
      if (conn instanceof JDBCConnection jdbc) {
        jdbc.setQueryTimeout(timeoutSeconds);
      }
      return conn.query(sql).execute();
    });
  }

  private void observe(Pools pools, Pool used, AsyncResult<?> ar) {
    if (ar.succeeded()) {
      up = true;
    } else if (isConnectionError(ar.cause())) {
      up = false;
      pools.recycle(used);
    } else {
      // the database answered (with an error about the statement): it is there
      up = true;
    }
  }

  /** Connection errors by JDBC class or SQL state (08…), anywhere in the cause chain. */
  public static boolean isConnectionError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLNonTransientConnectionException || t instanceof SQLTransientConnectionException
          || t instanceof SQLRecoverableException || t instanceof java.net.ConnectException
          || t instanceof java.net.SocketException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * Whether the database answers now: runs the dialect's probe, at most once per second (the result is
   * cached), and replaces the pool when the probe fails.
   */
  public Future<Boolean> check() {
    synchronized (lock) {
      if (System.currentTimeMillis() - probedAt < PROBE_CACHE_MILLIS) {
        return Future.succeededFuture(up);
      }
      if (probing != null) {
        return probing;
      }
      Pool p = main.current;
      Promise<Boolean> result = Promise.promise();
      long timer = vertx.setTimer(PROBE_TIMEOUT_MILLIS, t -> result.tryComplete(false));
      p.query(dialect().probeSql()).execute().onComplete(ar -> {
        vertx.cancelTimer(timer);
        result.tryComplete(ar.succeeded());
        if (ar.failed()) {
          main.recycle(p);
          tx.recycle(tx.current);
        }
      });
      probing = result.future().andThen(ar -> {
        synchronized (lock) {
          up = ar.result();
          probedAt = System.currentTimeMillis();
          probing = null;
        }
      });
      return probing;
    }
  }

  /**
   * The schema, created when {@code db.migrate} is on: completes once the script ran; a failed
   * attempt is forgotten, so the next call tries again.
   */
  public Future<Void> migrated() {
    if (migrated) {
      return Future.succeededFuture();
    }
    synchronized (lock) {
      if (migration == null) {
        migration = migrate().andThen(ar -> {
          synchronized (lock) {
            if (ar.succeeded()) {
              migrated = true;
            }
            migration = null;
          }
        });
      }
      return migration;
    }
  }

  private Future<Void> migrate() {
    String resource = dialect().schemaResource();
    List<String> statements = SqlScript.resource(resource);
    long started = System.nanoTime();
    return withConnection(conn -> {
      Future<Void> chain = Future.succeededFuture();
      for (String sql : statements) {
        chain = chain.compose(v -> conn.query(sql).execute().<Void>mapEmpty().recover(e -> {
          if (e instanceof SQLException s && dialect().alreadyExists(s)) {
            return Future.succeededFuture();
          }
          return Future.failedFuture(new SQLException("schema statement failed: " + firstLine(sql) + ": " + e.getMessage(),
              e instanceof SQLException s ? s.getSQLState() : null, e instanceof SQLException s ? s.getErrorCode() : 0, e));
        }));
      }
      return chain;
    }).onSuccess(v -> LOG.info("database schema checked ({}, {} statements, {} ms)", resource, statements.size(),
        (System.nanoTime() - started) / 1_000_000));
  }

  private static String firstLine(String sql) {
    String line = sql.strip().lines().findFirst().orElse("");
    return line.length() > 80 ? line.substring(0, 80) + "…" : line;
  }

  public Future<Void> close() {
    synchronized (lock) {
      closed = true;
    }
    return Future.join(main.current.close(), tx.current.close()).mapEmpty();
  }

  /** The URL without a password (Oracle's user/password@ form, password= parameters). */
  public static String safeUrl(String url) {
    return url.replaceAll("(?i)(password=)[^;&]*", "$1***")
        .replaceAll("(?i)(:thin:[^/@:]*)/[^@]*@", "$1/***@");
  }
}
