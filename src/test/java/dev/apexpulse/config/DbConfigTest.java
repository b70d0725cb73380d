package dev.apexpulse.config;

import dev.apexpulse.config.Dialect;
import dev.apexpulse.config.Schedule;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The db:, outbox: and jobs: sections: defaults, environment overrides and errors that name the key. */
class DbConfigTest {

  private static PulseConfig load(Map<String, String> env) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      return ConfigLoader.load(vertx, env).await(20, TimeUnit.SECONDS);
    } finally {
      vertx.close();
    }
  }

  @Test
  void embeddedDefaultsUseAnH2FileUnderData() throws Exception {
    PulseConfig config = load(Map.of());
    DbSettings db = config.db();
    assertThat(db.enabled()).isTrue();
    assertThat(db.url()).startsWith("jdbc:h2:file:./data/");
    assertThat(db.dialect()).isEqualTo(Dialect.H2);
    assertThat(db.migrate()).isTrue();
    assertThat(db.outbox()).isEqualTo(new DbSettings.Outbox(true, 100, 200, 10_000));
    assertThat(config.jobs()).extracting(JobSettings::name).containsExactly("demo-orders", "demo-ticker");
  }

  @Test
  void environmentPointsTheGatewayAtOracle(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path secret = dir.resolve("db-password");
    Files.writeString(secret, "s3cret-from-file\n");
    PulseConfig config = load(Map.of(
        "PULSE_DB_URL", "jdbc:oracle:thin:@//db.example.com:1521/FREEPDB1",
        "PULSE_DB_USER", "pulse",
        "PULSE_DB_PASSWORD_FILE", secret.toString(),
        "PULSE_OUTBOX_BATCH", "500"));
    DbSettings db = config.db();
    assertThat(db.dialect()).isEqualTo(Dialect.ORACLE);
    assertThat(db.user()).isEqualTo("pulse");
    assertThat(db.password()).isEqualTo("s3cret-from-file");
    assertThat(db.outbox().batch()).isEqualTo(500);
    assertThat(db.toString()).doesNotContain("s3cret");

    DbSettings off = load(Map.of("PULSE_DB_URL", "")).db();
    assertThat(off.enabled()).isFalse();
    assertThat(off.outbox().enabled()).isFalse();
    assertThat(load(Map.of("PULSE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/pulse")).db().dialect()).isEqualTo(Dialect.POSTGRESQL);
  }

  private static JsonObject withJobs(JsonObject... jobs) {
    return TestNode.config().put("jobs", new JsonArray(java.util.List.of((Object[]) jobs)));
  }

  private static JsonObject job(String name) {
    return new JsonObject().put("name", name).put("app", TestNode.APP).put("channel", "dashboard/" + name).put("every", "5s");
  }

  @Test
  void jobsAreParsed() {
    PulseConfig config = PulseConfig.from(withJobs(
        job("a").put("every", "120s"),
        job("b").put("every", "500ms"),
        new JsonObject().put("name", "c").put("app", TestNode.OTHER_APP).put("channel", "/reports/daily")
            .put("cron", "0 30 6 * * MON-FRI").put("zone", "Europe/Berlin").put("triggerable", true).put("minIntervalMillis", 5000))
        .put("db", new JsonObject().put("url", "jdbc:h2:mem:x")));
    var jobs = config.jobs();
    assertThat(jobs).extracting(JobSettings::name).containsExactly("a", "b", "c");
    assertThat(((Schedule.Every) jobs.get(0).schedule()).interval()).isEqualTo(Duration.ofSeconds(120));
    assertThat(jobs.get(0).sql()).isNull();
    assertThat(jobs.get(0).maxRows()).isEqualTo(100);
    assertThat(jobs.get(0).timeoutSeconds()).isEqualTo(30);
    assertThat(jobs.get(2).channel()).isEqualTo("reports/daily");
    assertThat(jobs.get(2).schedule().toJson()).isEqualTo(new JsonObject().put("cron", "0 30 6 * * MON-FRI").put("zone", "Europe/Berlin"));
    assertThat(jobs.get(2).triggerable()).isTrue();
    assertThat(jobs.get(2).minIntervalMillis()).isEqualTo(5000);
  }

  private static void refused(JsonObject config, String message) {
    assertThatThrownBy(() -> PulseConfig.from(config)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void badJobsAreRefusedNamingTheKey() {
    refused(withJobs(job("a"), job("b"), job("c").put("every", "12x")),
        "configuration jobs[2].every: '12x' is not a duration (like 500ms, 120s, 5m, 1h, 1d)");
    refused(withJobs(job("a").put("every", "50ms")), "configuration jobs[0].every: '50ms' is shorter than 100ms");
    refused(withJobs(job("a").put("app", "999")), "configuration jobs[0].app: no app '999' is configured under apps");
    refused(withJobs(job("a").put("channel", "bad channel")),
        "configuration jobs[0].channel: channel contains a character outside [A-Za-z0-9_.:@-/] at position 3");
    refused(withJobs(job("a").put("cron", "0 * * * *")), "configuration jobs[0].cron: a job needs exactly one of every (like 120s) or cron");
    refused(withJobs(job("a").put("every", (String) null)), "configuration jobs[0].every: a job needs exactly one of every (like 120s) or cron");
    refused(withJobs(job("a").put("every", (String) null).put("cron", "0 0 25 * * *")),
        "configuration jobs[0].cron: '0 0 25 * * *' is not a cron expression: Failed to parse cron expression. Value 25 not in range [0, 23]");
    refused(withJobs(job("a").put("every", (String) null).put("cron", "0 9 * * *").put("zone", "Mars/Olympus")),
        "configuration jobs[0].zone: 'Mars/Olympus' is not a time zone (like Europe/Berlin, UTC)");
    refused(withJobs(job("a").put("zone", "UTC")), "configuration jobs[0].zone: zone applies to cron schedules only");
    refused(withJobs(job("a").put("sql", "select 1 from dual")), "configuration jobs[0].sql: a SQL job needs a database: set db.url");
    refused(withJobs(job("a").put("onlyIfChanged", true)), "configuration jobs[0].onlyIfChanged: applies to SQL jobs only (a tick always changes)");
    refused(withJobs(job("a"), job("a")), "configuration jobs[1].name: 'a' is used by another job");
    refused(withJobs(job("a").put("evry", "5s")), "configuration jobs[0].evry: unknown key (a job has app, channel, cron, every,"
        + " maxRows, minIntervalMillis, name, onlyIfChanged, sql, timeoutSeconds, triggerable, zone)");
    refused(withJobs(job("a").put("name", (String) null)), "configuration jobs[0].name: missing (each job needs name, app, channel and every or cron)");
    refused(TestNode.config().put("jobs", new JsonObject()), "configuration jobs: expected a list, got {}");
  }

  @Test
  void badDatabaseSettingsAreRefusedNamingTheKey() {
    refused(TestNode.config().put("db", new JsonObject().put("url", "h2:mem:x")),
        "configuration db.url: expected a JDBC URL (jdbc:h2:…, jdbc:oracle:thin:@…, jdbc:postgresql:…), got 'h2:mem:x'");
    refused(TestNode.config().put("db", new JsonObject().put("url", "jdbc:sqlserver://db:1433")),
        "configuration db.migrate: no schema script for this kind of JDBC URL: set db.dialect (h2, oracle, postgresql)"
            + " or db.migrate: false and create the tables yourself (docs/DATABASE.md)");
    refused(TestNode.config().put("db", new JsonObject().put("url", "jdbc:h2:mem:x").put("dialect", "mysql")),
        "configuration db.dialect: expected auto, h2, oracle or postgresql, got 'mysql'");
    assertThat(PulseConfig.from(TestNode.config().put("outbox", new JsonObject().put("enabled", true))).db().outbox().enabled())
        .as("no database, no outbox").isFalse();
    refused(TestNode.config().put("db", new JsonObject().put("url", "jdbc:h2:mem:x")).put("outbox", new JsonObject().put("maxBackoffMillis", 100)),
        "configuration outbox.maxBackoffMillis: must be at least outbox.intervalMillis (200)");
    refused(TestNode.config().put("db", new JsonObject().put("url", "jdbc:h2:mem:x").put("passwordFile", "/no/such/file")),
        "configuration db.passwordFile: cannot read /no/such/file: /no/such/file");
    assertThat(PulseConfig.from(TestNode.config().put("db", new JsonObject().put("url", "jdbc:sqlserver://db:1433").put("migrate", false)))
        .db().dialect()).isEqualTo(Dialect.OTHER);
  }
}
