package dev.apexpulse;

import dev.apexpulse.Node;
import dev.apexpulse.config.DbSettings;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.db.Database;
import dev.apexpulse.db.OutboxMetrics;
import dev.apexpulse.db.OutboxVerticle;
import dev.apexpulse.schedule.ScheduleVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node's background work besides the sockets: the database pool (with its schema), the outbox
 * poller and the scheduled jobs. Started by {@link Node} after the gateway verticles, stopped first
 * when the node stops (so that another node takes over the outbox and the jobs at once).
 */
public final class Background {
  private static final Logger LOG = LoggerFactory.getLogger(Background.class);
  /** How long the start waits for the first schema attempt before going on (it is retried later). */
  private static final long MIGRATION_WAIT_MILLIS = 5000;
  private static final long STOP_WAIT_MILLIS = 10_000;

  private final Vertx vertx;
  private final Database database;
  private final OutboxVerticle outbox;
  private final ScheduleVerticle schedule;
  private final List<String> deployments;

  private Background(Vertx vertx, Database database, OutboxVerticle outbox, ScheduleVerticle schedule, List<String> deployments) {
    this.vertx = vertx;
    this.database = database;
    this.outbox = outbox;
    this.schedule = schedule;
    this.deployments = deployments;
  }

  /** Nothing configured (or not started yet). */
  public static Background none() {
    return new Background(null, null, null, null, List.of());
  }

  public static Future<Background> start(Node node) {
    return start(node, Clock.systemUTC());
  }

  public static Future<Background> start(Node node, Clock clock) {
    Vertx vertx = node.vertx();
    DbSettings db = node.config().db();
    List<JobSettings> jobs = node.config().jobs();
    if (!db.enabled() && jobs.isEmpty()) {
      return Future.succeededFuture(none());
    }
    Database database = null;
    Future<Void> schema = Future.succeededFuture();
    if (db.enabled()) {
      int maxRows = db.outbox().batch();
      for (JobSettings j : jobs) {
        maxRows = Math.max(maxRows, j.maxRows() + 1);
      }
      database = Database.open(vertx, db, maxRows);
      LOG.info("database {} ({}), schema {}, outbox {}", Database.safeUrl(db.url()), db.dialect().name().toLowerCase(),
          db.migrate() ? "created if missing" : "not managed", db.outbox().enabled() ? "on" : "off");
      if (db.migrate()) {
        schema = database.migrated().timeout(MIGRATION_WAIT_MILLIS, TimeUnit.MILLISECONDS).recover(e -> {
          LOG.error("database schema not created yet ({}); it is tried again before each outbox poll", e.getMessage());
          return Future.succeededFuture();
        });
      }
    }
    Database dbf = database;
    OutboxVerticle outbox = db.enabled() && db.outbox().enabled()
        ? new OutboxVerticle(node.publisher(), node.config().nodeId(), database, new OutboxMetrics(node.metrics().registry(), database))
        : null;
    ScheduleVerticle schedule = jobs.isEmpty() ? null
        : new ScheduleVerticle(node.publisher(), node.config().nodeId(), database, jobs, clock, node.metrics().registry());
    List<String> ids = new ArrayList<>();
    Future<Void> deployed = schema;
    if (outbox != null) {
      deployed = deployed.compose(v -> vertx.deployVerticle(outbox)).map(id -> {
        ids.add(id);
        return null;
      });
    }
    if (schedule != null) {
      deployed = deployed.compose(v -> vertx.deployVerticle(schedule)).map(id -> {
        ids.add(id);
        return null;
      });
    }
    return deployed.map(v -> new Background(vertx, dbf, outbox, schedule, ids))
        .recover(e -> {
          Future<Void> undo = Future.succeededFuture();
          for (String id : ids) {
            undo = undo.eventually(() -> vertx.undeploy(id));
          }
          return undo.eventually(() -> dbf == null ? Future.succeededFuture() : dbf.close())
              .transform(ar -> Future.failedFuture(e));
        });
  }

  /** The database, or null when none is configured. */
  public Database database() {
    return database;
  }

  public OutboxVerticle outbox() {
    return outbox;
  }

  public ScheduleVerticle schedule() {
    return schedule;
  }

  /** GET /api/v1/jobs: the app's jobs with their state. */
  public Future<JsonArray> jobs(String app) {
    return schedule == null ? Future.succeededFuture(new JsonArray()) : schedule.describe(app);
  }

  /**
   * For /health/ready: adds {@code "db":"UP"|"DOWN"} to the body when a database is configured and
   * answers whether the node may count as ready (false only when the database is down and
   * {@code db.readiness} is on).
   */
  public Future<Boolean> ready(JsonObject body) {
    if (database == null) {
      return Future.succeededFuture(true);
    }
    return database.check().map(up -> {
      body.put("db", up ? "UP" : "DOWN");
      return up || !database.settings().readiness();
    });
  }

  /**
   * Undeploys the poller and the jobs (releasing their locks), then closes the pool; gives up waiting
   * after {@value #STOP_WAIT_MILLIS} ms (a hung database), Vert.x closes what is left.
   */
  public Future<Void> stop() {
    if (vertx == null) {
      return Future.succeededFuture();
    }
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      chain = chain.eventually(() -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    return chain.eventually(() -> database == null ? Future.succeededFuture() : database.close())
        .timeout(STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS)
        .recover(e -> {
          LOG.warn("database bridge did not stop cleanly: {}", e.toString());
          return Future.succeededFuture();
        });
  }
}
