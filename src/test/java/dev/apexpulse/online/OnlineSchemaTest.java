package dev.apexpulse.online;

import dev.apexpulse.config.Dialect;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sink's tables: its DDL runs in each dialect (H2 natively and in its Oracle and PostgreSQL
 * modes) and is, column for column, what the PL/SQL kit's apex/sql/pulse_schema.sql creates for
 * installations where the gateway does not manage the schema.
 */
class OnlineSchemaTest {
  private static final Pattern CREATE = Pattern.compile("create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?(pulse_online\\w*)\\s*\\((.*?)\\)\\s*(?:\\]'|;|$)",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  @Test
  void theDdlRunsInEveryDialectTwice() throws Exception {
    Map<Dialect, String> modes = Map.of(Dialect.H2, "", Dialect.ORACLE, ";MODE=Oracle", Dialect.POSTGRESQL, ";MODE=PostgreSQL");
    for (Map.Entry<Dialect, String> m : modes.entrySet()) {
      try (Connection c = DriverManager.getConnection("jdbc:h2:mem:online_" + m.getKey() + m.getValue());
           Statement s = c.createStatement()) {
        for (String ddl : JdbcOnlineStore.ddl(m.getKey())) {
          s.execute(ddl);
          if (m.getKey() != Dialect.ORACLE) {
            s.execute(ddl); // IF NOT EXISTS: a second node's start changes nothing
          }
        }
        assertThat(columns(c, "PULSE_ONLINE")).containsExactly("APP_ID", "CHANNEL", "USER_NAME", "NODE_ID", "SINCE");
        assertThat(columns(c, "PULSE_ONLINE_NODE")).containsExactly("NODE_ID", "SEEN_AT");
      }
    }
  }

  @Test
  void theOracleDdlIsThePlsqlKits() throws Exception {
    String kit = Files.readString(Path.of("apex/sql/pulse_schema.sql")).replaceAll("--[^\n]*", "");
    Map<String, List<String>> kitTables = tables(kit);
    Map<String, List<String>> ours = tables(String.join(";\n", JdbcOnlineStore.ddl(Dialect.ORACLE)));
    assertThat(ours.keySet()).containsExactly("pulse_online", "pulse_online_node");
    for (String table : ours.keySet()) {
      assertThat(kitTables.get(table)).as(table).isEqualTo(ours.get(table));
    }
  }

  /** Table -> its column and constraint definitions, normalised. */
  private static Map<String, List<String>> tables(String script) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Matcher m = CREATE.matcher(script);
    while (m.find()) {
      List<String> defs = new ArrayList<>();
      int depth = 0;
      StringBuilder cur = new StringBuilder();
      for (char ch : m.group(2).toCharArray()) {
        depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
        if (ch == ',' && depth == 0) {
          defs.add(cur.toString().strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
          cur.setLength(0);
        } else {
          cur.append(ch);
        }
      }
      defs.add(cur.toString().strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
      out.put(m.group(1).toLowerCase(Locale.ROOT), defs);
    }
    return out;
  }

  private static List<String> columns(Connection c, String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (ResultSet r = c.getMetaData().getColumns(null, null, table, null)) {
      while (r.next()) {
        out.add(r.getString("COLUMN_NAME"));
      }
    }
    return out;
  }
}
