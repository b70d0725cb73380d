package dev.apexpulse.demo;

import dev.apexpulse.Node;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.jdbcclient.JDBCConnectOptions;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The demo's orders table in the embedded H2 database: what an APEX application would own. It plays
 * the application's part with its own connections, as APEX would: pages place orders and change their
 * status (the {@code /dev/orders} endpoints, dev mode and localhost only); the status trigger
 * ({@link OrderStatusTrigger}) queues a notification in {@code pulse_outbox}, which the gateway's outbox
 * poller publishes to {@code user/<owner>}; the {@code demo-orders} job (conf/demo.yaml) counts the rows
 * for the dashboard.
 *
 * <p>On only in dev mode with the demo pages on and {@code db.url} pointing at H2 (the embedded
 * default); otherwise every call fails with {@code not_found} and the reason.
 */
public final class DemoOrders {
  private static final Logger LOG = LoggerFactory.getLogger(DemoOrders.class);
  public static final List<String> STATUSES = List.of("NEW", "PAID", "SHIPPED", "DELIVERED");
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9_.:@-]{1,64}");
  private static final String[][] SEED = {
      {"SCOTT", "NEW"}, {"SCOTT", "PAID"}, {"ALICE", "NEW"}, {"ALICE", "SHIPPED"},
      {"BOB", "DELIVERED"}, {"BOB", "NEW"}, {"KING", "PAID"}, {"SCOTT", "DELIVERED"}};
  private static final String COLUMNS = "id, owner, status, created_at";

  private final Pool pool;
  private final String off;
  private final Future<Void> ready;

  private DemoOrders(Pool pool, String off, Future<Void> ready) {
    this.pool = pool;
    this.off = off;
    this.ready = ready;
  }

  /** For a node: on in dev mode with the demo on and an H2 {@code db.url}, else off (with the reason). */
  public static DemoOrders start(Node node) {
    PulseConfig c = node.config();
    if (c.mode() != PulseConfig.Mode.DEV || !c.http().demo()) {
      return off("the demo orders exist in dev mode with http.demo on only");
    }
    JsonObject db = c.section("db");
    String url = db.getValue("url") instanceof String s ? s.trim() : "";
    if (!url.startsWith("jdbc:h2:")) {
      return off("the demo orders need the embedded H2 database (db.url)");
    }
    return open(node.vertx(), url, db.getValue("user") instanceof String u ? u : "",
        db.getValue("password") instanceof String p ? p : "");
  }

  public static DemoOrders off(String reason) {
    return new DemoOrders(null, reason, Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, reason)));
  }

  /** Opens a small pool of its own, creates the table and trigger if missing and seeds an empty table. */
  public static DemoOrders open(Vertx vertx, String url, String user, String password) {
    JDBCConnectOptions connect = new JDBCConnectOptions().setJdbcUrl(url);
    if (!user.isEmpty()) {
      connect.setUser(user);
    }
    if (!password.isEmpty()) {
      connect.setPassword(password);
    }
    Pool pool = JDBCPool.pool(vertx, connect, new PoolOptions().setMaxSize(2).setName("pulse-demo-orders"));
    Future<Void> ready = pool.withConnection(conn -> {
      Future<Void> chain = Future.succeededFuture();
      for (String sql : script("demo/h2-demo.sql")) {
        chain = chain.compose(v -> conn.query(sql).execute().mapEmpty());
      }
      return chain.compose(v -> seed(conn));
    });
    ready.onSuccess(v -> LOG.info("demo orders: table pulse_demo_orders ready (/dev/orders, dev mode only)"))
        .onFailure(e -> LOG.warn("demo orders unavailable: {}", e.getMessage()));
    return new DemoOrders(pool, null, ready);
  }

  private static Future<Void> seed(SqlConnection conn) {
    return conn.query("SELECT COUNT(*) FROM pulse_demo_orders").execute().compose(rows -> {
      if (rows.iterator().next().getLong(0) > 0) {
        return Future.succeededFuture();
      }
      List<Tuple> batch = new ArrayList<>();
      for (String[] s : SEED) {
        batch.add(Tuple.of(s[0], s[1]));
      }
      // inserts do not fire the status trigger: seeding notifies nobody
      return conn.preparedQuery("INSERT INTO pulse_demo_orders (owner, status) VALUES (?, ?)").executeBatch(batch).mapEmpty();
    });
  }

  /** The statements of a script on the class path: "--" comment lines dropped, split at ";". */
  static List<String> script(String resource) {
    try (InputStream in = DemoOrders.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      StringBuilder sql = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.strip().startsWith("--")) {
          sql.append(line).append('\n');
        }
      }
      List<String> out = new ArrayList<>();
      for (String s : sql.toString().split(";")) {
        if (!s.isBlank()) {
          out.add(s.strip());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean enabled() {
    return pool != null;
  }

  /** Completes when the table is there (fails with the reason when the demo orders are off). */
  public Future<Void> ready() {
    return ready;
  }

  /** Newest first; {@code owner} null for everybody's. */
  public Future<JsonArray> list(String owner, int limit) {
    return ready.compose(v -> {
      if (owner == null) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM pulse_demo_orders ORDER BY id DESC FETCH FIRST ? ROWS ONLY")
            .execute(Tuple.of(limit));
      }
      return pool.preparedQuery("SELECT " + COLUMNS + " FROM pulse_demo_orders WHERE owner = ? ORDER BY id DESC FETCH FIRST ? ROWS ONLY")
          .execute(Tuple.of(owner, limit));
    }).map(DemoOrders::json);
  }

  /** A new order (status NEW) for {@code owner}. */
  public Future<JsonObject> create(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      return Future.failedFuture(new PulseException(ErrorCode.BAD_REQUEST,
          "owner must match [A-Za-z0-9_.:@-]{1,64} (it names the channel user/<owner>)"));
    }
    return ready.compose(v -> pool.preparedQuery("SELECT " + COLUMNS + " FROM FINAL TABLE (INSERT INTO pulse_demo_orders (owner) VALUES (?))")
        .execute(Tuple.of(owner))).map(rows -> json(rows).getJsonObject(0));
  }

  /**
   * Moves order {@code id} to its next status, in one transaction: the trigger's outbox row commits
   * with the update, so the notification goes out exactly when the change is visible.
   */
  public Future<JsonObject> advance(long id) {
    return ready.compose(v -> pool.withTransaction(conn -> advance(conn, id)));
  }

  /** Advances a random order that is not delivered yet, or places one when all are. */
  public Future<JsonObject> advanceAny() {
    return ready.compose(v -> pool.withTransaction(conn ->
        conn.query("SELECT id FROM pulse_demo_orders WHERE status <> 'DELIVERED' ORDER BY RAND() FETCH FIRST 1 ROWS ONLY").execute()
            .compose(rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture((JsonObject) null);
              }
              return advance(conn, rows.iterator().next().getLong(0));
            }))).compose(o -> o != null ? Future.succeededFuture(o) : create(SEED[0][0]));
  }

  private static Future<JsonObject> advance(SqlConnection conn, long id) {
    return conn.preparedQuery("SELECT " + COLUMNS + " FROM pulse_demo_orders WHERE id = ? FOR UPDATE").execute(Tuple.of(id))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no order " + id));
          }
          JsonObject order = json(rows).getJsonObject(0);
          String next = order.getString("next");
          if (next == null) {
            return Future.failedFuture(new PulseException(ErrorCode.BAD_REQUEST, "order " + id + " is already " + order.getString("status")));
          }
          return conn.preparedQuery("UPDATE pulse_demo_orders SET status = ? WHERE id = ?").execute(Tuple.of(next, id))
              .map(r -> order.put("status", next).put("next", nextOf(next)));
        });
  }

  static String nextOf(String status) {
    int i = STATUSES.indexOf(status);
    return i >= 0 && i + 1 < STATUSES.size() ? STATUSES.get(i + 1) : null;
  }

  private static JsonArray json(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      // by position (COLUMNS): databases differ in the case of column labels
      String status = r.getString(2);
      out.add(new JsonObject()
          .put("id", r.getLong(0))
          .put("owner", r.getString(1))
          .put("status", status)
          .put("next", nextOf(status))
          .put("created_at", String.valueOf(r.getValue(3))));
    }
    return out;
  }

  /** Why the demo orders are off, or null. */
  public String offReason() {
    return off;
  }

  public Future<Void> close() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
