package dev.apexpulse.support;

import dev.apexpulse.config.Dialect;
import io.vertx.core.json.JsonObject;

import java.net.InetSocketAddress;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A fresh, empty database for one test class (or one test), on H2, PostgreSQL or Oracle (see
 * {@link DatabaseUnderTest}). {@link #url}, {@link #user} and {@link #password} are what the gateway
 * connects with; the tests use {@link #connect()} and the helpers here. The few statements that differ
 * between the databases (sequences, a range of numbers, a slow query) are written once, here.
 */
public abstract class TestDatabase implements AutoCloseable {
  public final Dialect dialect;
  /** The JDBC URL the gateway uses. */
  public final String url;
  public final String user;
  public final String password;

  protected TestDatabase(Dialect dialect, String url, String user, String password) {
    this.dialect = dialect;
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /** A connection of the test itself. */
  public Connection connect() {
    try {
      return DriverManager.getConnection(url, user, password);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Where the gateway's connections go: host and port, for a {@link TcpProxy} in between. */
  public abstract InetSocketAddress address();

  /** {@link #url} with the host and port replaced by a proxy's on 127.0.0.1. */
  public abstract String urlVia(int port);

  /** TestNode.config() with this database, migrations on and a fast outbox. */
  public JsonObject nodeConfig() {
    return nodeConfig(url);
  }

  /** The same, the gateway reaching the database at {@code gatewayUrl} (e.g. {@link #urlVia}). */
  public JsonObject nodeConfig(String gatewayUrl) {
    return TestNode.config()
        .put("db", new JsonObject().put("url", gatewayUrl).put("user", user).put("password", password)
            .put("migrate", true).put("queryTimeoutSeconds", 5))
        .put("outbox", new JsonObject().put("enabled", true).put("batch", 100).put("intervalMillis", 50).put("maxBackoffMillis", 1000));
  }

  /** The PULSE_DB_* variables of a gateway process that uses this database. */
  public Map<String, String> env() {
    return Map.of("PULSE_DB_URL", url, "PULSE_DB_USER", user, "PULSE_DB_PASSWORD", password);
  }

  public void exec(String... sql) {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public long count(String table) {
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      r.next();
      return r.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Rows of a query, each as a list of column values (CLOBs read as text). */
  public List<List<Object>> rows(String sql) {
    List<List<Object>> out = new ArrayList<>();
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      int n = r.getMetaData().getColumnCount();
      while (r.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          Object v = r.getObject(i);
          row.add(v instanceof Clob clob ? clob.getSubString(1, (int) clob.length()) : v);
        }
        out.add(row);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** Inserts an outbox row on the given connection (its transaction). */
  public static void outbox(Connection c, String app, String channel, String payload) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO pulse_outbox (app_id, channel, payload) VALUES (?, ?, ?)")) {
      p.setString(1, app);
      p.setString(2, channel);
      p.setString(3, payload);
      p.executeUpdate();
    }
  }

  /** Inserts an outbox row in its own transaction. */
  public void outbox(String app, String channel, String payload) {
    try (Connection c = connect()) {
      outbox(c, app, channel, payload);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- the statements that differ ----

  /** Whether the outbox table refuses a payload that is not JSON at insert (Oracle's IS JSON check). */
  public boolean checksJson() {
    return dialect == Dialect.ORACLE;
  }

  /** SELECT of these expressions without a table (Oracle needs FROM dual). */
  public String select(String expressions) {
    return "SELECT " + expressions + (dialect == Dialect.ORACLE ? " FROM dual" : "");
  }

  public String createSequence(String name) {
    // NOCACHE: Oracle's last_number then tells how often the sequence was used
    return "CREATE SEQUENCE " + name + (dialect == Dialect.ORACLE ? " NOCACHE" : "");
  }

  /** The expression that takes the sequence's next value. */
  public String nextValue(String sequence) {
    return switch (dialect) {
      case POSTGRESQL -> "nextval('" + sequence + "')";
      case ORACLE -> sequence + ".nextval";
      default -> "NEXT VALUE FOR " + sequence;
    };
  }

  /** How many values the sequence gave (it starts at 1). */
  public long sequenceUses(String sequence) {
    String sql = switch (dialect) {
      case POSTGRESQL -> "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + sequence;
      case ORACLE -> "SELECT last_number - 1 FROM user_sequences WHERE sequence_name = '" + sequence.toUpperCase() + "'";
      default -> "SELECT BASE_VALUE - 1 FROM INFORMATION_SCHEMA.SEQUENCES WHERE SEQUENCE_NAME = '" + sequence.toUpperCase() + "'";
    };
    return ((Number) rows(sql).get(0).get(0)).longValue();
  }

  /** A query of one column x with the rows 1..n in order. */
  public String numbers(int n) {
    return switch (dialect) {
      case POSTGRESQL -> "SELECT x FROM generate_series(1, " + n + ") AS x ORDER BY x";
      case ORACLE -> "SELECT level AS x FROM dual CONNECT BY level <= " + n + " ORDER BY x";
      default -> "SELECT x FROM SYSTEM_RANGE(1, " + n + ") ORDER BY x";
    };
  }

  /** A query that runs for far longer than a second, until cancelled. */
  public String slowQuery() {
    return switch (dialect) {
      case POSTGRESQL -> "SELECT pg_sleep(60)";
      case ORACLE -> "SELECT COUNT(*) FROM (SELECT level x FROM dual CONNECT BY level <= 100000) a,"
          + " (SELECT level x FROM dual CONNECT BY level <= 100000) b";
      default -> "SELECT SUM(a.x * b.x) FROM SYSTEM_RANGE(1, 100000) a, SYSTEM_RANGE(1, 100000) b";
    };
  }

  /** Text that the database's error for a query on a missing table contains. */
  public String missingTableError(String table) {
    return dialect == Dialect.ORACLE ? "ORA-00942" : table;
  }

  @Override
  public abstract void close();
}
