package dev.apexpulse.config;

import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code db:} and {@code outbox:} sections. The database is on when {@code db.url} is set (the
 * shipped conf/pulse.yaml points at an embedded H2 file under ./data/; {@code PULSE_DB_URL=""}
 * turns it off). See docs/DATABASE.md.
 *
 * @param readiness when true, /health/ready answers 503 while the database is unreachable
 */
public record DbSettings(
    boolean enabled,
    String url,
    String user,
    String password,
    Dialect dialect,
    boolean migrate,
    int poolSize,
    int queryTimeoutSeconds,
    boolean readiness,
    Outbox outbox) {

  /**
   * The outbox poller: {@code batch} rows per select, {@code intervalMillis} between polls that found
   * less than a full batch, backoff doubling up to {@code maxBackoffMillis} while polling fails.
   */
  public record Outbox(boolean enabled, int batch, int intervalMillis, int maxBackoffMillis) {}

  public static DbSettings from(JsonObject root) {
    ConfigReader top = new ConfigReader(root, "");
    ConfigReader db = top.section("db");
    String url = db.string("url", "").trim();
    boolean enabled = !url.isEmpty();
    if (enabled && !url.startsWith("jdbc:")) {
      throw new ConfigException(db.key("url"), "expected a JDBC URL (jdbc:h2:…, jdbc:oracle:thin:@…, jdbc:postgresql:…), got '" + url + "'");
    }
    String password = db.string("password", "");
    String passwordFile = db.string("passwordFile", "").trim();
    if (!passwordFile.isEmpty()) {
      try {
        password = Files.readString(Path.of(passwordFile)).trim();
      } catch (Exception e) {
        throw new ConfigException(db.key("passwordFile"), "cannot read " + passwordFile + ": " + e.getMessage());
      }
    }
    String dialectName = db.string("dialect", "auto").trim().toLowerCase();
    Dialect dialect;
    if (dialectName.isEmpty() || dialectName.equals("auto")) {
      dialect = enabled ? Dialect.fromUrl(url) : Dialect.OTHER;
    } else {
      dialect = Dialect.named(dialectName);
      if (dialect == null) {
        throw new ConfigException(db.key("dialect"), "expected auto, h2, oracle or postgresql, got '" + dialectName + "'");
      }
    }
    boolean migrate = db.bool("migrate", true);
    if (enabled && migrate && dialect == Dialect.OTHER) {
      throw new ConfigException(db.key("migrate"), "no schema script for this kind of JDBC URL: set db.dialect (h2, oracle,"
          + " postgresql) or db.migrate: false and create the tables yourself (docs/DATABASE.md)");
    }
    int poolSize = db.integer("poolSize", 4, 1, 64);
    int queryTimeout = db.integer("queryTimeoutSeconds", 30, 1, 3600);
    boolean readiness = db.bool("readiness", true);

    ConfigReader outbox = top.section("outbox");
    // on unless turned off, and only with a database (PULSE_DB_URL="" turns both off)
    boolean outboxEnabled = outbox.bool("enabled", true) && enabled;
    int interval = outbox.integer("intervalMillis", 200, 10, 60_000);
    int maxBackoff = outbox.integer("maxBackoffMillis", 10_000, 100, 600_000);
    if (maxBackoff < interval) {
      throw new ConfigException(outbox.key("maxBackoffMillis"), "must be at least outbox.intervalMillis (" + interval + ")");
    }
    Outbox outboxCfg = new Outbox(outboxEnabled, outbox.integer("batch", 100, 1, 1000), interval, maxBackoff);
    return new DbSettings(enabled, url, db.string("user", "").trim(), password, dialect, migrate, poolSize, queryTimeout,
        readiness, outboxCfg);
  }

  @Override
  public String toString() {
    // never print the password
    return "DbSettings[" + dialect + " " + url + "]";
  }
}
