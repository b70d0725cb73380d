package dev.apexpulse.support;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real H2 database for tests: in memory, kept alive by a connection of the test (so the gateway
 * and the test see the same data), dropped on close. {@link #url} is what the gateway uses.
 */
public final class TestDb implements AutoCloseable {
  public final String name;
  /** The URL the test itself connects with (embedded, same JVM). */
  public final String localUrl;
  /** The URL the gateway connects with: the embedded one, or a TCP one (see {@link #over}). */
  public final String url;
  private final Connection keep;

  private TestDb(String name, String url) {
    this.name = name;
    this.localUrl = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
    this.url = url == null ? localUrl : url;
    try {
      this.keep = DriverManager.getConnection(localUrl);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh in-memory database with a unique name. */
  public static TestDb memory(String prefix) {
    return new TestDb(unique(prefix), null);
  }

  /** A fresh in-memory database that the gateway reaches through an H2 TCP server on the given port. */
  public static TestDb overTcp(String prefix, int port) {
    String name = unique(prefix);
    return new TestDb(name, "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:" + name);
  }

  private static String unique(String prefix) {
    byte[] b = new byte[4];
    ThreadLocalRandom.current().nextBytes(b);
    return prefix + "_" + HexFormat.of().formatHex(b);
  }

  /** TestNode.config() with this database, migrations on and a fast outbox. */
  public JsonObject nodeConfig() {
    return TestNode.config()
        .put("db", new JsonObject().put("url", url).put("migrate", true).put("queryTimeoutSeconds", 5))
        .put("outbox", new JsonObject().put("enabled", true).put("batch", 100).put("intervalMillis", 50).put("maxBackoffMillis", 1000));
  }

  public Connection connect() {
    try {
      return DriverManager.getConnection(localUrl);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
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

  /** Rows of a query, each as a list of column values. */
  public List<List<Object>> rows(String sql) {
    List<List<Object>> out = new ArrayList<>();
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      int n = r.getMetaData().getColumnCount();
      while (r.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(r.getObject(i) instanceof java.sql.Clob clob ? clob.getSubString(1, (int) clob.length()) : r.getObject(i));
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

  @Override
  public void close() {
    try (Statement s = keep.createStatement()) {
      s.execute("SHUTDOWN");
    } catch (SQLException ignored) {
      // already gone
    }
    try {
      keep.close();
    } catch (SQLException ignored) {
      // closed by SHUTDOWN
    }
  }
}
