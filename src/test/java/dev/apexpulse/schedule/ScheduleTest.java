package dev.apexpulse.schedule;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.DatabaseUnderTest;
import dev.apexpulse.support.OnEachDatabase;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestDatabase;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Scheduled jobs on a node with each real database, observed by real WebSocket clients and the jobs API. */
@OnEachDatabase
@ExtendWith(VertxExtension.class)
@Timeout(60)
record ScheduleTest(DatabaseUnderTest database) {
  static final String OTHER_KEY = "other-api-key-0123456789";
  static TestDatabase db;
  static TestNode node;
  static Vertx vertx;

  @BeforeParameterizedClassInvocation
  static void start(DatabaseUnderTest database) {
    if (database.missing() != null) {
      return; // its tests are skipped (OnEachDatabase)
    }
    db = database.open("jobs");
    db.exec("CREATE TABLE job_stats (n INT, label VARCHAR(20))", "INSERT INTO job_stats VALUES (1, 'one')");
    JsonArray jobs = new JsonArray()
        .add(job("tick1s", TestNode.APP, "jobs/tick").put("every", "1s"))
        .add(job("counter", TestNode.APP, "jobs/counter").put("every", "300ms")
            .put("sql", "SELECT n AS N, label FROM job_stats ORDER BY n").put("onlyIfChanged", true))
        .add(job("broken", TestNode.APP, "jobs/broken").put("every", "300ms")
            .put("sql", "SELECT COUNT(*) AS c FROM later_table"))
        .add(job("limited", TestNode.APP, "jobs/limited").put("every", "1h")
            .put("sql", db.numbers(10)).put("maxRows", 3))
        .add(job("slow", TestNode.APP, "jobs/slow").put("every", "1h").put("timeoutSeconds", 1)
            .put("sql", db.slowQuery()))
        .add(job("other-app", TestNode.OTHER_APP, "reports/daily").put("cron", "0 0 6 * * MON-FRI").put("zone", "Europe/Berlin"));
    node = TestNode.start(db.nodeConfig().put("jobs", jobs));
    vertx = Vertx.vertx();
  }

  static JsonObject job(String name, String app, String channel) {
    return new JsonObject().put("name", name).put("app", app).put("channel", channel);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (node != null) {
      node.close();
      vertx.close();
      node = null;
    }
    if (db != null) {
      db.close();
      db = null;
    }
  }

  private WsClient subscriber(String channel) {
    WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")));
    assertThat(c.subscribe(channel).getString("type")).isEqualTo("subscribed");
    return c;
  }

  private static List<JsonObject> messages(WsClient c, long millis) {
    return c.drain(millis).stream().filter(f -> "message".equals(f.getString("type"))).toList();
  }

  static JsonObject jobState(String apiKey, String name) {
    Http.Response r = Http.get(node.httpBase() + "/api/v1/jobs", apiKey);
    assertThat(r.status()).isEqualTo(200);
    for (Object o : r.json().getJsonArray("jobs")) {
      if (name.equals(((JsonObject) o).getString("name"))) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no job " + name + " in " + r.body());
  }

  @Test
  void everyOneSecondPublishesAboutOncePerSecondWithAConsecutiveTick() {
    try (WsClient c = subscriber("jobs/tick")) {
      List<JsonObject> ticks = messages(c, 3500).stream().map(m -> m.getJsonObject("data")).toList();
      assertThat(ticks).hasSizeBetween(3, 4);
      for (int i = 1; i < ticks.size(); i++) {
        assertThat(ticks.get(i).getLong("tick")).isEqualTo(ticks.get(i - 1).getLong("tick") + 1);
        long gap = Duration.between(Instant.parse(ticks.get(i - 1).getString("at")), Instant.parse(ticks.get(i).getString("at"))).toMillis();
        assertThat(gap).as("time between ticks").isBetween(700L, 1400L);
      }
      // fixed rate: late runs do not push the later ones back
      long span = Duration.between(Instant.parse(ticks.get(0).getString("at")), Instant.parse(ticks.get(ticks.size() - 1).getString("at"))).toMillis();
      assertThat(span / (ticks.size() - 1)).as("average time between ticks").isBetween(900L, 1100L);
    }
  }

  @Test
  void onlyIfChangedSkipsIdenticalResults() {
    // on a slow start the first run may come after the subscription: wait for it first
    Await.until("the counter job published once", 10_000, () -> jobState(TestNode.API_KEY, "counter").getLong("runs") >= 1);
    try (WsClient c = subscriber("jobs/counter")) {
      // the first result was published at start; the same rows again are not
      long runs = jobState(TestNode.API_KEY, "counter").getLong("runs");
      assertThat(messages(c, 1000)).isEmpty();
      JsonObject state = jobState(TestNode.API_KEY, "counter");
      assertThat(state.getLong("runs")).isGreaterThanOrEqualTo(runs + 2);
      assertThat(state.getString("lastOutcome")).isEqualTo("unchanged");

      db.exec("UPDATE job_stats SET n = 2, label = 'two'");
      JsonObject m = c.next("message");
      assertThat(m.getJsonObject("data").getJsonArray("rows"))
          .isEqualTo(new JsonArray().add(new JsonObject().put("n", 2).put("label", "two")));
      assertThat(Instant.parse(m.getJsonObject("data").getString("at"))).isCloseTo(Instant.now(), within(2000));
      assertThat(m.getJsonObject("data").containsKey("truncated")).isFalse();
      assertThat(messages(c, 900)).as("unchanged since").isEmpty();

      db.exec("INSERT INTO job_stats VALUES (3, NULL)");
      JsonArray rows = c.next("message").getJsonObject("data").getJsonArray("rows");
      assertThat(rows).hasSize(2);
      assertThat(rows.getJsonObject(1).containsKey("label")).as("NULL columns are kept as null").isTrue();
      assertThat(rows.getJsonObject(1).getValue("label")).isNull();
    }
    String metrics = Http.get(node.httpBase() + "/metrics", null).body();
    assertThat(metrics).contains("pulse_job_runs_total{job=\"counter\",outcome=\"unchanged\"}")
        .contains("pulse_job_runs_total{job=\"counter\",outcome=\"published\"}");
  }

  private static org.assertj.core.data.TemporalUnitOffset within(long millis) {
    return new org.assertj.core.data.TemporalUnitWithinOffset(millis, java.time.temporal.ChronoUnit.MILLIS);
  }

  @Test
  void failingJobIsCountedAndRunsAgainUntilItWorks() {
    Await.until("the broken job failed twice", 5000, () -> jobState(TestNode.API_KEY, "broken").getLong("failures") >= 2);
    JsonObject state = jobState(TestNode.API_KEY, "broken");
    assertThat(state.getString("lastOutcome")).isEqualTo("failed");
    assertThat(state.getString("lastError")).containsIgnoringCase(db.missingTableError("later_table"));
    assertThat(state.getString("lastErrorAt")).isNotNull();
    assertThat(failedRuns("broken")).isGreaterThanOrEqualTo(2);

    try (WsClient c = subscriber("jobs/broken")) {
      db.exec("CREATE TABLE later_table (id INT)");
      JsonObject m = c.next("message");
      assertThat(m.getJsonObject("data").getJsonArray("rows")).isEqualTo(new JsonArray().add(new JsonObject().put("c", 0)));
    }
    assertThat(jobState(TestNode.API_KEY, "broken").getString("lastOutcome")).isEqualTo("published");
  }

  private static double failedRuns(String job) {
    String metrics = Http.get(node.httpBase() + "/metrics", null).body();
    Matcher m = Pattern.compile("pulse_job_runs_total\\{job=\"" + job + "\",outcome=\"failed\"} ([0-9.]+)").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void rowsAreCutAtMaxRowsAndMarkedTruncated() throws Exception {
    // ran once at start; its message is in the channel's history
    Await.until("the limited job ran", 5000, () -> jobState(TestNode.API_KEY, "limited").getLong("runs") >= 1);
    Http.Response h = Http.get(node.httpBase() + "/api/v1/apps/" + TestNode.APP + "/history?channel=jobs/limited", TestNode.API_KEY);
    JsonObject data = h.json().getJsonArray("messages").getJsonObject(0).getJsonObject("data");
    assertThat(data.getJsonArray("rows")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("x", 1)).add(new JsonObject().put("x", 2)).add(new JsonObject().put("x", 3)));
    assertThat(data.getBoolean("truncated")).isTrue();
  }

  @Test
  void queryTimeoutFailsTheRun() {
    Await.until("the slow job timed out", 10_000, () -> jobState(TestNode.API_KEY, "slow").getLong("failures") >= 1);
    JsonObject state = jobState(TestNode.API_KEY, "slow");
    assertThat(state.getString("lastError")).containsIgnoringCase("cancel");
    assertThat(state.getLong("lastDurationMillis")).isLessThan(5000L);
  }

  @Test
  void jobsApiListsTheAppsJobsWithScheduleRunsAndRunner() {
    JsonObject tick = jobState(TestNode.API_KEY, "tick1s");
    assertThat(tick.getString("runner")).isEqualTo(node.node.config().nodeId());
    assertThat(tick.getJsonObject("schedule")).isEqualTo(new JsonObject().put("every", "1s"));
    assertThat(tick.getString("kind")).isEqualTo("tick");
    assertThat(tick.getString("channel")).isEqualTo("jobs/tick");
    assertThat(Instant.parse(tick.getString("lastRun"))).isBeforeOrEqualTo(Instant.now());
    assertThat(Instant.parse(tick.getString("nextRun"))).isAfter(Instant.parse(tick.getString("lastRun")));
    assertThat(tick.getLong("runs")).isPositive();
    assertThat(tick.getString("lastError")).isNull();

    Http.Response mine = Http.get(node.httpBase() + "/api/v1/jobs", TestNode.API_KEY);
    assertThat(mine.json().getString("app")).isEqualTo(TestNode.APP);
    assertThat(mine.json().getJsonArray("jobs").stream().map(o -> ((JsonObject) o).getString("name")))
        .containsExactly("tick1s", "counter", "broken", "limited", "slow");
    for (Object o : mine.json().getJsonArray("jobs")) {
      assertThat(((JsonObject) o).fieldNames()).doesNotContain("sql", "lastHash");
    }

    JsonObject other = jobState(OTHER_KEY, "other-app");
    assertThat(Http.get(node.httpBase() + "/api/v1/jobs", OTHER_KEY).json().getJsonArray("jobs")).hasSize(1);
    assertThat(other.getJsonObject("schedule"))
        .isEqualTo(new JsonObject().put("cron", "0 0 6 * * MON-FRI").put("zone", "Europe/Berlin"));
    Instant next = Instant.parse(other.getString("nextRun"));
    var local = next.atZone(java.time.ZoneId.of("Europe/Berlin"));
    assertThat(local.getHour()).isEqualTo(6);
    assertThat(local.getDayOfWeek().getValue()).isBetween(1, 5);
    assertThat(other.getString("lastRun")).isNull();

    assertThat(Http.get(node.httpBase() + "/api/v1/jobs", null).status()).isEqualTo(401);
    assertThat(Http.get(node.httpBase() + "/api/v1/jobs", "not-a-key-0123456789").status()).isEqualTo(401);
    assertThat(Http.get(node.httpBase() + "/api/v1/jobs", node.token("scott")).status()).as("tokens do not list jobs").isEqualTo(401);
  }
}
