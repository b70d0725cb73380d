package dev.apexpulse.db;

import dev.apexpulse.support.OracleTestDb;
import dev.apexpulse.support.SqlPlusScript;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PL/SQL kit (apex/sql) on your own Oracle ({@code PULSE_TEST_ORACLE_URL}): installed statement by
 * statement through JDBC as SQL*Plus would run apex/sql/install.sql, then {@code auth_pkg.generate_token}
 * signs a token the gateway accepts, and {@code pulse_pkg.publish} reaches a subscriber through the
 * outbox. Without an Oracle only the splitter check runs (against apex/test-plsql/lib/sqlplus.js).
 */
@Timeout(120)
class PlsqlKitTest {
  private static final Path KIT = Path.of("apex/sql");

  /** The Java splitter and the kit's own (Node) splitter cut every kit file into the same statements. */
  @Test
  void splitsTheKitFilesLikeTheNodeSplitter() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(KIT)) {
      files = s.filter(p -> p.toString().matches(".*\\.(sql|pks|pkb)$")).sorted().toList();
    }
    assertThat(files).extracting(p -> p.getFileName().toString()).contains("install.sql", "pulse_schema.sql", "auth_pkg.pkb");
    for (Path f : files) {
      List<List<Object>> java = new ArrayList<>();
      for (SqlPlusScript.Item item : SqlPlusScript.split(Files.readString(f))) {
        if (item instanceof SqlPlusScript.Statement st) {
          java.add(List.of(st.startLine(), st.endLine(), st.kind()));
        }
      }
      assertThat(java).as(f + ": start line, end line, kind of each statement").isEqualTo(nodeSplit(f));
    }
    List<SqlPlusScript.Statement> install = SqlPlusScript.statements(KIT.resolve("install.sql"));
    assertThat(install).extracting(SqlPlusScript.Statement::kind).contains("plsql", "sql");
    assertThat(install.get(0).sql()).startsWith("declare").contains("create_if_absent");
    assertThat(install).allSatisfy(s -> assertThat(s.sql()).doesNotEndWith("/"));
    assertThat(install.stream().filter(s -> s.kind().equals("sql"))).allSatisfy(s -> assertThat(s.sql()).doesNotEndWith(";"));
  }

  private static List<List<Object>> nodeSplit(Path file) throws Exception {
    String js = "const {splitScript} = require(process.argv[1]);"
        + "const r = splitScript(require('fs').readFileSync(process.argv[2], 'utf8'));"
        + "console.log(JSON.stringify(r.statements.map(s => [s.startLine, s.endLine, s.kind])));";
    Process p = new ProcessBuilder("node", "-e", js, Path.of("apex/test-plsql/lib/sqlplus.js").toAbsolutePath().toString(),
        file.toAbsolutePath().toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<List<Object>> rows = new ArrayList<>();
    for (Object o : new JsonArray(out.strip())) {
      rows.add(((JsonArray) o).getList());
    }
    return rows;
  }

  @Test
  void installedOnYourOracleItSignsTokensTheGatewayAcceptsAndPublishesThroughTheOutbox() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (OracleTestDb db = OracleTestDb.fromEnv()) {
      try (Connection c = db.connect()) {
        install(c, KIT.resolve("install.sql"));
        install(c, KIT.resolve("install.sql")); // re-runnable
        try (PreparedStatement p = c.prepareStatement("insert into pulse_app_secret (app_id, secret) values ('100', ?)")) {
          p.setString(1, TestNode.SECRET);
          p.executeUpdate();
        }
      }
      String token;
      try (Connection c = db.connect();
           CallableStatement call = c.prepareCall("{? = call auth_pkg.generate_token(p_app_id => '100', p_user => 'SCOTT',"
               + " p_sub_ch => 'kit/**,user/{sub}', p_name => 'Scott Tiger')}")) {
        call.registerOutParameter(1, java.sql.Types.VARCHAR);
        call.execute();
        token = call.getString(1);
      }
      JsonObject config = db.nodeConfig();
      config.getJsonObject("db").put("migrate", false); // the kit made the tables
      try (TestNode node = TestNode.start(config);
           WsClient w = WsClient.open(vertx, node.wsUrl("token=" + token))) {
        // the gateway verified the database's signature and reads its claims
        assertThat(w.subscribe("kit/orders").getString("type")).isEqualTo("subscribed");
        assertThat(w.subscribe("user/SCOTT").getString("type")).isEqualTo("subscribed");
        assertThat(w.subscribe("other/x").getString("code")).isEqualTo("forbidden");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
          c.setAutoCommit(false);
          s.execute("begin pulse_pkg.publish('100', '/kit/orders', '{\"order\":7,\"text\":\"Grüße\"}'); end;");
          c.commit();
        }
        JsonObject m = w.next("message");
        assertThat(m.getString("channel")).isEqualTo("kit/orders");
        assertThat(m.getJsonObject("data")).isEqualTo(new JsonObject().put("order", 7).put("text", "Grüße"));
      }
    } finally {
      vertx.close();
    }
  }

  /** As SQL*Plus with "whenever sqlerror exit": each statement in order, the first error (or a unit that compiled with errors) fails. */
  private static void install(Connection c, Path script) throws SQLException {
    for (SqlPlusScript.Statement st : SqlPlusScript.statements(script)) {
      try (Statement s = c.createStatement()) {
        s.execute(st.sql());
        SQLWarning w = s.getWarnings();
        if (w != null && st.kind().equals("plsql")) {
          throw new AssertionError(script + " line " + st.startLine() + " compiled with errors: " + w.getMessage() + "\n" + errors(c));
        }
      } catch (SQLException e) {
        throw new AssertionError(script + " line " + st.startLine() + ": " + e.getMessage() + "\n" + st.sql(), e);
      }
    }
  }

  private static String errors(Connection c) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Statement s = c.createStatement();
         ResultSet r = s.executeQuery("select name, type, line, text from user_errors order by name, type, sequence")) {
      while (r.next()) {
        out.append(r.getString(1)).append(' ').append(r.getString(2)).append(" line ").append(r.getInt(3)).append(": ")
            .append(r.getString(4)).append('\n');
      }
    }
    return out.toString();
  }
}
