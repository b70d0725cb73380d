package dev.apexpulse.support;

import dev.apexpulse.config.Dialect;
import org.opentest4j.TestAbortedException;

import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Your own Oracle, from {@value #URL_ENV} (with {@value #USER_ENV} and {@value #PASSWORD_ENV}): the
 * schema of that user is the test database. It must be a throwaway schema: the suite drops what is in
 * it before and after each test class. To make that safe, the schema is used only when it is empty
 * (the first run then creates the table {@value #MARKER}) or already holds that marker.
 */
public final class OracleTestDb extends TestDatabase {
  public static final String URL_ENV = "PULSE_TEST_ORACLE_URL";
  public static final String USER_ENV = "PULSE_TEST_ORACLE_USER";
  public static final String PASSWORD_ENV = "PULSE_TEST_ORACLE_PASSWORD";
  static final String MARKER = "PULSE_TEST_MARKER";
  /** EZConnect: @//host:port/service, @host:port/service, @host:port:SID. */
  private static final Pattern HOST_PORT = Pattern.compile("@(//)?([^:/@()]+):(\\d+)");

  private OracleTestDb(String url, String user, String password) {
    super(Dialect.ORACLE, url, user, password);
  }

  /** Why there is no Oracle to test (printed once), or null. */
  static String missing() {
    String url = System.getenv(URL_ENV);
    if (url != null && !url.isBlank()) {
      return null;
    }
    return SkipLine.once("Oracle", URL_ENV + " is not set: set it with " + USER_ENV + " and " + PASSWORD_ENV
        + " to an empty schema of your Oracle to run the database suite and the PL/SQL kit there (docs/DATABASE.md)");
  }

  /** The schema named by the environment, emptied; skipped (one line) when the variable is not set. */
  public static OracleTestDb fromEnv() {
    String missing = missing();
    if (missing != null) {
      throw new TestAbortedException(missing);
    }
    String url = System.getenv(URL_ENV);
    OracleTestDb db = new OracleTestDb(url.trim(), System.getenv().getOrDefault(USER_ENV, ""),
        System.getenv().getOrDefault(PASSWORD_ENV, ""));
    db.claim();
    db.empty();
    return db;
  }

  /** Refuses a schema that holds anything this suite did not create. */
  private void claim() {
    List<List<Object>> foreign = rows("SELECT object_type, object_name FROM user_objects"
        + " WHERE object_name NOT LIKE 'SYS\\_%' ESCAPE '\\' AND object_name NOT LIKE 'BIN$%' AND object_name NOT LIKE 'ISEQ$$%'");
    boolean marked = foreign.stream().anyMatch(r -> MARKER.equals(r.get(1)));
    if (!marked && !foreign.isEmpty()) {
      throw new IllegalStateException("the schema of " + user + " (" + URL_ENV + ") holds objects this test suite did not create,"
          + " e.g. " + foreign.get(0) + ": give it an empty, throwaway schema, whose objects it drops before and after each test class");
    }
    if (!marked) {
      exec("CREATE TABLE " + MARKER + " (created_at TIMESTAMP DEFAULT SYSTIMESTAMP)");
    }
  }

  /** Drops every table, sequence, view and PL/SQL unit of the schema but the marker. */
  private void empty() {
    List<String[]> objects = new ArrayList<>();
    try (Connection c = connect(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT object_type, object_name FROM user_objects"
             + " WHERE object_type IN ('TABLE', 'VIEW', 'SEQUENCE', 'PACKAGE', 'PROCEDURE', 'FUNCTION', 'TRIGGER', 'TYPE')"
             + " AND object_name <> '" + MARKER + "' AND object_name NOT LIKE 'BIN$%' AND object_name NOT LIKE 'ISEQ$$%'")) {
      while (r.next()) {
        objects.add(new String[] {r.getString(1), r.getString(2)});
      }
      for (String[] o : objects) {
        try (Statement d = c.createStatement()) {
          d.execute("DROP " + o[0] + " \"" + o[1] + "\"" + (o[0].equals("TABLE") ? " CASCADE CONSTRAINTS PURGE" : ""));
        } catch (SQLException gone) {
          // dropped with its table already (a trigger, an identity's sequence)
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public InetSocketAddress address() {
    return new InetSocketAddress(hostPort().group(2), Integer.parseInt(hostPort().group(3)));
  }

  @Override
  public String urlVia(int port) {
    Matcher m = hostPort();
    return url.substring(0, m.start()) + "@" + (m.group(1) == null ? "" : "//") + "127.0.0.1:" + port + url.substring(m.end());
  }

  private Matcher hostPort() {
    Matcher m = HOST_PORT.matcher(url);
    if (!m.find()) {
      throw new TestAbortedException("a proxy needs host:port in " + URL_ENV + " (EZConnect, e.g."
          + " jdbc:oracle:thin:@//dbhost:1521/FREEPDB1); this form is not supported by the outage test");
    }
    return m;
  }

  @Override
  public void close() {
    empty();
  }
}
