package dev.apexpulse.db;

import dev.apexpulse.config.DbSettings;
import dev.apexpulse.config.Dialect;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.support.TestDb;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schema scripts and the poller's SQL, checked without an Oracle or PostgreSQL server: the Oracle
 * DDL runs under H2's Oracle compatibility mode and describes the same columns as the PL/SQL kit's
 * apex/sql/pulse_schema.sql; the poller's statements contain no LIMIT, use FETCH FIRST ? ROWS ONLY
 * and run against each script's tables (H2 in Oracle, PostgreSQL and native mode).
 */
class SchemaTest {
  private static final Pattern CREATE = Pattern.compile("create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?(\\w+)\\s*\\((.*?)\\)\\s*(?:\\]'|;|$)",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  @Test
  void oracleScriptRunsUnderH2OracleModeAndIsPlainOracleSql() throws Exception {
    List<String> statements = SqlScript.resource("db/oracle.sql");
    assertThat(statements).hasSize(2);
    for (String sql : statements) {
      assertThat(sql).doesNotContainIgnoringCase("if not exists").doesNotEndWith(";");
      assertThat(sql.toLowerCase(Locale.ROOT)).contains("create table");
    }
    String all = String.join("\n", statements).toLowerCase(Locale.ROOT);
    assertThat(all).contains("generated always as identity").contains("clob").contains("varchar2").contains("is json")
        .doesNotContain("bigint").doesNotContain(" text").doesNotContain("serial").doesNotContain("auto_increment");
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:oracle_ddl;MODE=Oracle");
         Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
      assertThat(columns(c, "PULSE_OUTBOX")).containsExactly("ID", "APP_ID", "CHANNEL", "PAYLOAD", "CREATED_AT");
      assertThat(columns(c, "PULSE_OUTBOX_DEAD")).containsExactly("ID", "APP_ID", "CHANNEL", "PAYLOAD", "CREATED_AT", "FAILED_AT", "REASON");
      // the IS JSON check of the kit holds here too
      try {
        s.execute("insert into pulse_outbox (app_id, channel, payload) values ('100', 'a', 'not json')");
        throw new AssertionError("IS JSON check missing");
      } catch (SQLException expected) {
        assertThat(expected.getMessage()).containsIgnoringCase("PULSE_OUTBOX_PAYLOAD_JSON");
      }
      runPollerStatements(c);
    }
  }

  @Test
  void oracleScriptDescribesTheSameTablesAsThePlsqlKit() throws Exception {
    String kit = Files.readString(Path.of("apex/sql/pulse_schema.sql"));
    String ours = String.join(";\n", SqlScript.resource("db/oracle.sql")) + ";";
    Map<String, Map<String, String>> kitTables = tables(kit);
    Map<String, Map<String, String>> ourTables = tables(ours);
    assertThat(kitTables).containsKeys("pulse_outbox", "pulse_outbox_dead", "pulse_app_secret");
    assertThat(ourTables.keySet()).containsExactly("pulse_outbox", "pulse_outbox_dead");
    assertThat(ourTables.get("pulse_outbox")).containsExactly(
        Map.entry("id", "number generated always as identity constraint pulse_outbox_pk primary key"),
        Map.entry("app_id", "varchar2(64) not null"),
        Map.entry("channel", "varchar2(255) not null"),
        Map.entry("payload", "clob not null constraint pulse_outbox_payload_json check (payload is json)"),
        Map.entry("created_at", "timestamp default systimestamp not null"));
    for (String table : ourTables.keySet()) {
      assertThat(ourTables.get(table)).as(table + ": same columns, types, defaults and constraints").isEqualTo(kitTables.get(table));
    }
    // the other scripts: the same tables and column names
    for (String script : List.of("db/h2.sql", "db/postgresql.sql")) {
      Map<String, Map<String, String>> t = tables(String.join(";\n", SqlScript.resource(script)) + ";");
      assertThat(t.keySet()).as(script).containsExactly("pulse_outbox", "pulse_outbox_dead");
      for (String table : t.keySet()) {
        assertThat(t.get(table).keySet()).as(script + " " + table).containsExactlyElementsOf(ourTables.get(table).keySet());
      }
    }
  }

  /** Column name -> normalised definition, per table, from CREATE TABLE statements (also inside q'[…]'). */
  private static Map<String, Map<String, String>> tables(String script) {
    String noComments = script.replaceAll("--[^\n]*", "");
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    Matcher m = CREATE.matcher(noComments);
    while (m.find()) {
      Map<String, String> cols = new LinkedHashMap<>();
      for (String def : splitTopLevel(m.group(2))) {
        String d = def.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        if (d.isEmpty() || d.startsWith("constraint ") || d.startsWith("primary key")) {
          continue;
        }
        cols.put(d.split(" ")[0], d.substring(d.indexOf(' ') + 1));
      }
      out.put(m.group(1).toLowerCase(Locale.ROOT), cols);
    }
    return out;
  }

  private static List<String> splitTopLevel(String s) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    StringBuilder cur = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        parts.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    parts.add(cur.toString());
    return parts;
  }

  @Test
  void pollerStatementsUseStandardRowLimitingNeverLimit() {
    for (String sql : OutboxSql.ALL) {
      assertThat(sql).doesNotContainPattern("(?i)\\blimit\\b").doesNotContainPattern("(?i)\\brownum\\b")
          .doesNotContain(";").doesNotContainPattern("\\$\\d");
    }
    assertThat(OutboxSql.SELECT_BATCH).contains("ORDER BY id FETCH FIRST ? ROWS ONLY");
    assertThat(OutboxSql.DELETE_ONE).isEqualTo("DELETE FROM pulse_outbox WHERE id = ?");
    for (Dialect d : Dialect.values()) {
      assertThat(d.probeSql()).doesNotContainPattern("(?i)\\blimit\\b");
    }
  }

  @Test
  void h2AndPostgresqlScriptsAreRerunnableAndServeThePoller() throws Exception {
    for (String[] run : new String[][] {{"db/h2.sql", ""}, {"db/postgresql.sql", ";MODE=PostgreSQL"}}) {
      try (Connection c = DriverManager.getConnection("jdbc:h2:mem:script_" + run[0].hashCode() + run[1]);
           Statement s = c.createStatement()) {
        for (int i = 0; i < 2; i++) {
          for (String sql : SqlScript.resource(run[0])) {
            s.execute(sql);
          }
        }
        runPollerStatements(c);
      }
    }
  }

  /** Prepares and runs every poller statement once: insert, select a batch, move one aside, delete one. */
  private static void runPollerStatements(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("insert into pulse_outbox (app_id, channel, payload) values ('100', 'a/b', '{\"n\":1}')");
      s.execute("insert into pulse_outbox (app_id, channel, payload) values ('100', 'a/b', '{\"n\":2}')");
    }
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement(OutboxSql.SELECT_BATCH)) {
      p.setInt(1, 1);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          ids.add(r.getLong(1));
          assertThat(r.getString(4)).isEqualTo("{\"n\":1}");
        }
      }
    }
    assertThat(ids).as("FETCH FIRST ? ROWS ONLY honoured").hasSize(1);
    try (PreparedStatement p = c.prepareStatement(OutboxSql.MOVE_TO_DEAD)) {
      p.setString(1, "bad_json: test");
      p.setLong(2, ids.get(0));
      assertThat(p.executeUpdate()).isEqualTo(1);
    }
    try (PreparedStatement p = c.prepareStatement(OutboxSql.DELETE_ONE)) {
      p.setLong(1, ids.get(0));
      assertThat(p.executeUpdate()).isEqualTo(1);
    }
    try (PreparedStatement p = c.prepareStatement(OutboxSql.COUNT); ResultSet r = p.executeQuery()) {
      r.next();
      assertThat(r.getLong(1)).isEqualTo(1);
    }
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select reason, failed_at from pulse_outbox_dead")) {
      assertThat(r.next()).isTrue();
      assertThat(r.getString(1)).isEqualTo("bad_json: test");
      assertThat(r.getTimestamp(2)).as("failed_at defaults").isNotNull();
    }
  }

  private static List<String> columns(Connection c, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet r = c.getMetaData().getColumns(null, null, table, null)) {
      while (r.next()) {
        out.add(r.getString("COLUMN_NAME"));
      }
    }
    return out;
  }

  @Test
  void migrationThroughTheGatewayIsIdempotent() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestDb db = TestDb.memory("migrate")) {
      DbSettings settings = PulseConfig.from(TestNode.config().put("db", new JsonObject().put("url", db.url))).db();
      for (int i = 0; i < 2; i++) {
        Database database = Database.open(vertx, settings, 100);
        database.migrated().await(10, TimeUnit.SECONDS);
        assertThat(database.check().await(5, TimeUnit.SECONDS)).isTrue();
        database.close().await(5, TimeUnit.SECONDS);
        db.outbox(TestNode.APP, "kept", "{\"run\":" + i + "}");
      }
      assertThat(db.count("pulse_outbox")).as("a re-run keeps the rows").isEqualTo(2);
    } finally {
      vertx.close();
    }
  }

  @Test
  void scriptSplitterKeepsLiteralsWhole() {
    List<String> s = SqlScript.split("-- head; comment\ncreate table t (x varchar(9) default 'a;b--c');\n"
        + "comment on table t is 'it''s; fine' -- trailing\n;\n\n");
    assertThat(s).containsExactly("create table t (x varchar(9) default 'a;b--c')", "comment on table t is 'it''s; fine'");
  }

  @Test
  void dialectsAndConnectionErrors() {
    assertThat(Dialect.fromUrl("jdbc:oracle:thin:@//db:1521/FREEPDB1")).isEqualTo(Dialect.ORACLE);
    assertThat(Dialect.fromUrl("jdbc:h2:file:./data/pulse")).isEqualTo(Dialect.H2);
    assertThat(Dialect.fromUrl("jdbc:postgresql://db/pulse")).isEqualTo(Dialect.POSTGRESQL);
    assertThat(Dialect.fromUrl("jdbc:sqlserver://db")).isEqualTo(Dialect.OTHER);
    assertThat(Dialect.ORACLE.alreadyExists(new SQLException("ORA-00955: name is already used by an existing object", "42000", 955))).isTrue();
    assertThat(Dialect.ORACLE.alreadyExists(new SQLException("ORA-01031: insufficient privileges", "42000", 1031))).isFalse();
    assertThat(Database.isConnectionError(new SQLNonTransientConnectionException("broken"))).isTrue();
    assertThat(Database.isConnectionError(new SQLException("IO Error", "08006", 17002))).isTrue();
    assertThat(Database.isConnectionError(new RuntimeException(new ConnectException("refused")))).isTrue();
    assertThat(Database.isConnectionError(new SQLSyntaxErrorException("ORA-00942: table or view does not exist", "42000", 942))).isFalse();
    assertThat(Database.safeUrl("jdbc:oracle:thin:scott/tiger@//db:1521/X")).isEqualTo("jdbc:oracle:thin:scott/***@//db:1521/X");
    assertThat(Database.safeUrl("jdbc:postgresql://db/pulse?user=a&password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://db/pulse?user=a&password=***&ssl=true");
    assertThat(Database.safeUrl("jdbc:h2:tcp://db/x;PASSWORD=p;X=1")).isEqualTo("jdbc:h2:tcp://db/x;PASSWORD=***;X=1");
  }
}
