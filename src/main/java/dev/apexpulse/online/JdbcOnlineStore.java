package dev.apexpulse.online;

import dev.apexpulse.config.Dialect;
import dev.apexpulse.db.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pulse_online} and {@code pulse_online_node} over the gateway's database. Times are UTC, from
 * the nodes' clocks (kept in step by NTP: node timeouts are seconds). With {@code db.migrate} the
 * tables are created before the first use (the same DDL as apex/sql/pulse_schema.sql for Oracle).
 */
public final class JdbcOnlineStore implements OnlineStore {
  private static final String DELETE_ONE = "DELETE FROM pulse_online WHERE app_id = ? AND channel = ? AND user_name = ? AND node_id = ?";
  private static final String INSERT = "INSERT INTO pulse_online (app_id, channel, user_name, node_id, since) VALUES (?, ?, ?, ?, ?)";
  private static final String DELETE_NODE_ROWS = "DELETE FROM pulse_online WHERE node_id = ?";
  private static final String TOUCH = "UPDATE pulse_online_node SET seen_at = ? WHERE node_id = ?";
  private static final String ALIVE = "INSERT INTO pulse_online_node (node_id, seen_at) VALUES (?, ?)";
  private static final String DELETE_DEAD_ROWS = "DELETE FROM pulse_online WHERE node_id IN (SELECT node_id FROM pulse_online_node WHERE seen_at < ?)"
      + " OR node_id NOT IN (SELECT node_id FROM pulse_online_node)";
  private static final String DELETE_DEAD_NODES = "DELETE FROM pulse_online_node WHERE seen_at < ?";
  private static final String DELETE_NODE = "DELETE FROM pulse_online_node WHERE node_id = ?";

  private final Database database;
  private final Clock clock;
  private Future<Void> tables;

  /** @param database the node's database, or null when none is configured (then every call fails) */
  public JdbcOnlineStore(Database database, Clock clock) {
    this.database = database;
    this.clock = clock;
  }

  @Override
  public Future<Void> apply(String node, List<OnlineRow> changes) {
    List<Tuple> deletes = new ArrayList<>();
    List<Tuple> inserts = new ArrayList<>();
    for (OnlineRow r : changes) {
      deletes.add(Tuple.of(r.app(), r.channel(), r.user(), node));
      if (r.since() != null) {
        inserts.add(insert(node, r));
      }
    }
    return transaction(conn -> batch(conn, DELETE_ONE, deletes).compose(v -> batch(conn, INSERT, inserts)));
  }

  @Override
  public Future<Void> replace(String node, List<OnlineRow> rows) {
    List<Tuple> inserts = rows.stream().map(r -> insert(node, r)).toList();
    return transaction(conn -> conn.preparedQuery(DELETE_NODE_ROWS).execute(Tuple.of(node))
        .compose(r -> batch(conn, INSERT, inserts)));
  }

  @Override
  public Future<Integer> heartbeat(String node, int timeoutSeconds) {
    LocalDateTime now = utc(clock.instant());
    LocalDateTime cutoff = now.minusSeconds(timeoutSeconds);
    return transaction(conn -> conn.preparedQuery(TOUCH).execute(Tuple.of(now, node))
        .compose(r -> r.rowCount() > 0 ? Future.succeededFuture() : conn.preparedQuery(ALIVE).execute(Tuple.of(node, now)).mapEmpty())
        .compose(v -> conn.preparedQuery(DELETE_DEAD_ROWS).execute(Tuple.of(cutoff)))
        .compose(removed -> conn.preparedQuery(DELETE_DEAD_NODES).execute(Tuple.of(cutoff)).map(x -> removed.rowCount())));
  }

  @Override
  public Future<Void> remove(String node) {
    return transaction(conn -> conn.preparedQuery(DELETE_NODE_ROWS).execute(Tuple.of(node))
        .compose(r -> conn.preparedQuery(DELETE_NODE).execute(Tuple.of(node))).mapEmpty());
  }

  private <T> Future<T> transaction(java.util.function.Function<SqlConnection, Future<T>> work) {
    Database db = database;
    if (db == null) {
      return Future.failedFuture("no database yet");
    }
    return tables(db).compose(v -> db.withTransaction(work));
  }

  private static Future<Void> batch(SqlConnection conn, String sql, List<Tuple> rows) {
    return rows.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(sql).executeBatch(rows).mapEmpty();
  }

  private static Tuple insert(String node, OnlineRow r) {
    return Tuple.of(r.app(), r.channel(), r.user(), node, utc(r.since()));
  }

  private static LocalDateTime utc(java.time.Instant t) {
    return LocalDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  /** Creates the tables once when the gateway manages the schema; retried after a failure. */
  private synchronized Future<Void> tables(Database db) {
    if (!db.settings().migrate()) {
      return Future.succeededFuture();
    }
    if (tables == null || tables.failed()) {
      Dialect dialect = db.dialect();
      Future<Void> chain = Future.succeededFuture();
      for (String ddl : ddl(dialect)) {
        chain = chain.compose(v -> db.withConnection(conn -> conn.query(ddl).execute()).<Void>mapEmpty()
            .recover(e -> alreadyExists(dialect, e) ? Future.succeededFuture() : Future.failedFuture(e)));
      }
      tables = chain;
    }
    return tables;
  }

  private static boolean alreadyExists(Dialect dialect, Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && dialect.alreadyExists(s)) {
        return true;
      }
    }
    return false;
  }

  /** The two tables; user_name because USER is a reserved word. */
  static List<String> ddl(Dialect dialect) {
    boolean oracle = dialect == Dialect.ORACLE;
    String ifNotExists = oracle ? "" : "IF NOT EXISTS ";
    String text = oracle ? "VARCHAR2" : "VARCHAR";
    return List.of(
        "CREATE TABLE " + ifNotExists + "pulse_online (\n"
            + "  app_id     " + text + "(64)  NOT NULL,\n"
            + "  channel    " + text + "(255) NOT NULL,\n"
            + "  user_name  " + text + "(255) NOT NULL,\n"
            + "  node_id    " + text + "(128) NOT NULL,\n"
            + "  since      TIMESTAMP NOT NULL,\n"
            + "  CONSTRAINT pulse_online_pk PRIMARY KEY (app_id, channel, user_name, node_id)\n"
            + ")",
        "CREATE TABLE " + ifNotExists + "pulse_online_node (\n"
            + "  node_id    " + text + "(128) CONSTRAINT pulse_online_node_pk PRIMARY KEY,\n"
            + "  seen_at    TIMESTAMP NOT NULL\n"
            + ")");
  }
}
