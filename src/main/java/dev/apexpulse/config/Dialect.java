package dev.apexpulse.config;

import java.sql.SQLException;

/**
 * The databases the gateway has a schema script for. The poller's statements are the same for all
 * of them ({@code db.OutboxSql}); the dialect picks the schema script, the liveness probe and which
 * "already exists" errors a re-run of the script may ignore.
 */
public enum Dialect {
  H2("db/h2.sql", "SELECT 1"),
  ORACLE("db/oracle.sql", "SELECT 1 FROM dual"),
  POSTGRESQL("db/postgresql.sql", "SELECT 1"),
  /** Any other JDBC URL: works when its driver is on the class path, without db.migrate. */
  OTHER(null, "SELECT 1");

  private final String schemaResource;
  private final String probeSql;

  Dialect(String schemaResource, String probeSql) {
    this.schemaResource = schemaResource;
    this.probeSql = probeSql;
  }

  public static Dialect fromUrl(String url) {
    String u = url.toLowerCase();
    if (u.startsWith("jdbc:h2:")) {
      return H2;
    }
    if (u.startsWith("jdbc:oracle:")) {
      return ORACLE;
    }
    if (u.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    return OTHER;
  }

  /** h2, oracle, postgresql (or other), or null. */
  public static Dialect named(String name) {
    for (Dialect d : values()) {
      if (d.name().equalsIgnoreCase(name)) {
        return d;
      }
    }
    return null;
  }

  /** The class-path resource of the schema script, or null. */
  public String schemaResource() {
    return schemaResource;
  }

  /** A query that succeeds whenever the database answers. */
  public String probeSql() {
    return probeSql;
  }

  /**
   * Whether a schema statement failed only because its object exists: ORA-00955 (name already used)
   * and ORA-01408 (column list already indexed) on Oracle; the H2 and PostgreSQL scripts use
   * IF NOT EXISTS, their codes are listed for scripts run twice concurrently.
   */
  public boolean alreadyExists(SQLException e) {
    return switch (this) {
      case ORACLE -> e.getErrorCode() == 955 || e.getErrorCode() == 1408;
      case H2 -> e.getErrorCode() == 42101 || e.getErrorCode() == 42111;
      case POSTGRESQL -> "42P07".equals(e.getSQLState()) || "42710".equals(e.getSQLState());
      case OTHER -> false;
    };
  }
}
