package dev.apexpulse.admin;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.db.Database;
import dev.apexpulse.db.OutboxVerticle;
import dev.apexpulse.lease.Runners;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/** The console's view of the outbox: backlog, dead rows and the polling node; requeueing a dead row. */
final class ConsoleOutbox {
  static final String COUNT_DEAD = "SELECT COUNT(*) FROM pulse_outbox_dead";
  static final String COUNT_BACKLOG = "SELECT COUNT(*) FROM pulse_outbox";
  static final String LIST_DEAD = "SELECT id, app_id, channel, reason, created_at, failed_at, SUBSTR(payload, 1, 200),"
      + " LENGTH(payload) FROM pulse_outbox_dead ORDER BY id DESC FETCH FIRST ? ROWS ONLY";
  /** Requeue, step 1 (same transaction as {@link #DELETE_DEAD}): the row gets a new outbox id, so it goes last. */
  static final String REQUEUE = "INSERT INTO pulse_outbox (app_id, channel, payload)"
      + " SELECT app_id, channel, payload FROM pulse_outbox_dead WHERE id = ?";
  static final String DELETE_DEAD = "DELETE FROM pulse_outbox_dead WHERE id = ?";

  private final Database db;
  private final Runners runners;

  /** @param db null when no database is configured */
  ConsoleOutbox(Vertx vertx, Database db) {
    this.db = db;
    this.runners = new Runners(vertx);
  }

  /** Backlog, dead rows (count and the newest {@code limit}), and which node polls. */
  Future<JsonObject> state(int limit) {
    if (db == null) {
      return Future.succeededFuture(new JsonObject().put("enabled", false));
    }
    Future<Long> backlog = db.withConnection(c -> c.query(COUNT_BACKLOG).execute()).map(ConsoleOutbox::count);
    Future<Long> dead = db.withConnection(c -> c.query(COUNT_DEAD).execute()).map(ConsoleOutbox::count);
    Future<JsonArray> rows = db.withConnection(c -> c.preparedQuery(LIST_DEAD).execute(Tuple.of(limit))).map(ConsoleOutbox::deadRows);
    Future<JsonObject> runner = runners.get(OutboxVerticle.RUNNER_KEY).otherwise((JsonObject) null);
    return Future.join(backlog, dead, rows, runner).transform(ar -> {
      JsonObject out = new JsonObject().put("enabled", true).put("polling", db.settings().outbox().enabled())
          .put("databaseUp", db.up());
      if (backlog.succeeded()) {
        out.put("backlog", backlog.result());
      }
      if (dead.succeeded()) {
        out.put("dead", dead.result());
      }
      out.put("deadRows", rows.succeeded() ? rows.result() : new JsonArray());
      JsonObject r = runner.result();
      out.put("runner", r == null ? null : r.getString("runner"));
      if (backlog.failed() || dead.failed() || rows.failed()) {
        Throwable e = backlog.failed() ? backlog.cause() : dead.failed() ? dead.cause() : rows.cause();
        out.put("error", Database.isConnectionError(e) ? "database unreachable" : "query failed: " + firstLine(e.getMessage()));
      }
      return Future.succeededFuture(out);
    });
  }

  /** Moves a dead row back into pulse_outbox (new id: it is published after the current backlog), in one transaction. */
  Future<JsonObject> requeue(long id) {
    if (db == null) {
      return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no database configured"));
    }
    return db.withTransaction(c -> c.preparedQuery(REQUEUE).execute(Tuple.of(id)).compose(inserted -> {
      if (inserted.rowCount() != 1) {
        return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no dead outbox row " + id));
      }
      return c.preparedQuery(DELETE_DEAD).execute(Tuple.of(id));
    })).recover(e -> Future.failedFuture(e instanceof PulseException ? e
        : new PulseException(ErrorCode.UNAVAILABLE, "requeue failed: " + firstLine(e.getMessage()))))
        .map(v -> new JsonObject().put("id", id).put("requeued", true));
  }

  private static long count(RowSet<Row> rows) {
    return ((Number) rows.iterator().next().getValue(0)).longValue();
  }

  private static JsonArray deadRows(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      out.add(new JsonObject()
          .put("id", ((Number) r.getValue(0)).longValue())
          .put("app", text(r.getValue(1)))
          .put("channel", text(r.getValue(2)))
          .put("reason", text(r.getValue(3)))
          .put("createdAt", text(r.getValue(4)))
          .put("failedAt", text(r.getValue(5)))
          .put("payloadPreview", text(r.getValue(6)))
          .put("payloadChars", r.getValue(7) instanceof Number n ? n.longValue() : null));
    }
    return out;
  }

  private static String text(Object v) {
    return v == null ? null : v.toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String line = s.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}
