package dev.apexpulse.schedule;

import dev.apexpulse.config.JobSettings;
import dev.apexpulse.config.Schedule;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cron schedules with time zones, with a clock moved to just before 09:00 in Tokyo: the Tokyo job
 * fires 1.5 s later (real time), the UTC one with the same expression does not; a per-second cron
 * fires on even seconds of the (moved) clock.
 */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class CronJobTest {

  @Test
  void cronScheduleAndTimeZoneAreHonoured() throws Exception {
    // 2025-01-15 08:59:58.500 in Tokyo is 2025-01-14 23:59:58.500 UTC
    Instant fakeStart = ZonedDateTime.of(2025, 1, 15, 8, 59, 58, 500_000_000, ZoneId.of("Asia/Tokyo")).toInstant();
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start()) {
      JsonArray jobs = new JsonArray()
          .add(job("tokyo-nine", "cron/tokyo").put("cron", "0 0 9 * * *").put("zone", "Asia/Tokyo"))
          .add(job("utc-nine", "cron/utc").put("cron", "0 0 9 * * *").put("zone", "UTC"))
          .add(job("unix-nine", "cron/unix").put("cron", "0 9 * * *").put("zone", "Asia/Tokyo"))
          .add(job("even-seconds", "cron/even").put("cron", "*/2 * * * * *"));
      List<JobSettings> settings = JobSettings.listFrom(new JsonObject().put("jobs", jobs), node.node.config().apps(), false);
      try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("reader")))) {
        for (String ch : List.of("cron/tokyo", "cron/utc", "cron/unix", "cron/even")) {
          c.subscribe(ch);
        }
        Clock clock = Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(), fakeStart));
        ScheduleVerticle schedule = new ScheduleVerticle(node.node.publisher(), "n-cron", null, settings, clock,
            node.node.metrics().registry());
        String id = node.node.vertx().deployVerticle(schedule).await(10, TimeUnit.SECONDS);
        List<JsonObject> got = c.drain(4500).stream().filter(f -> "message".equals(f.getString("type"))).toList();
        node.node.vertx().undeploy(id).await(10, TimeUnit.SECONDS);

        List<JsonObject> tokyo = on(got, "cron/tokyo");
        assertThat(tokyo).as("09:00 Tokyo came 1.5 s after the start").hasSize(1);
        Instant at = Instant.parse(tokyo.get(0).getJsonObject("data").getString("at"));
        assertThat(at).isBetween(Instant.parse("2025-01-15T00:00:00Z"), Instant.parse("2025-01-15T00:00:00.500Z"));
        assertThat(tokyo.get(0).getJsonObject("data").getLong("tick")).isEqualTo(1);
        assertThat(on(got, "cron/unix")).as("five-field (Unix) cron, minute precision").hasSize(1);
        assertThat(on(got, "cron/utc")).as("09:00 UTC is hours away").isEmpty();

        List<JsonObject> even = on(got, "cron/even");
        assertThat(even).hasSizeBetween(2, 3);
        for (JsonObject m : even) {
          Instant t = Instant.parse(m.getJsonObject("data").getString("at"));
          assertThat(t.getEpochSecond() % 2).as("an even second: %s", t).isZero();
          assertThat(t.getNano()).as("just after the second: %s", t).isLessThan(500_000_000);
        }

        JsonArray listed = schedule.describe(TestNode.APP).await(5, TimeUnit.SECONDS);
        JsonObject utc = listed.stream().map(o -> (JsonObject) o).filter(j -> j.getString("name").equals("utc-nine")).findFirst().orElseThrow();
        assertThat(utc.getString("nextRun")).isEqualTo("2025-01-15T09:00:00Z");
        assertThat(utc.getString("runner")).isEqualTo("n-cron");
        JsonObject tokyoState = listed.stream().map(o -> (JsonObject) o).filter(j -> j.getString("name").equals("tokyo-nine")).findFirst().orElseThrow();
        assertThat(tokyoState.getString("nextRun")).as("the next 09:00 in Tokyo").isEqualTo("2025-01-16T00:00:00Z");
        assertThat(tokyoState.getLong("runs")).isEqualTo(1);
      }
    } finally {
      vertx.close();
    }
  }

  @Test
  void cronExpressionsReadInTheirZone() {
    Instant from = Instant.parse("2025-03-29T12:00:00Z");
    Schedule berlin = Schedule.cron("0 30 9 * * MON-FRI", ZoneId.of("Europe/Berlin"));
    assertThat(berlin.next(from)).as("Saturday -> Monday 09:30 CEST (UTC+2 after the change)").isEqualTo("2025-03-31T07:30:00Z");
    Schedule newYork = Schedule.cron("30 9 * * 1-5", ZoneId.of("America/New_York"));
    assertThat(newYork.next(from)).isEqualTo("2025-03-31T13:30:00Z");
    Schedule everySecond = Schedule.cron("* * * * * *", ZoneId.of("UTC"));
    assertThat(everySecond.next(Instant.parse("2025-01-01T00:00:00Z"))).as("strictly after").isEqualTo("2025-01-01T00:00:01Z");
    assertThat(Schedule.cron("@hourly", ZoneId.of("Asia/Kolkata")).next(from)).isEqualTo("2025-03-29T12:30:00Z");
    Schedule every = Schedule.every(Duration.ofSeconds(120), "120s");
    assertThat(every.next(from)).isEqualTo("2025-03-29T12:02:00Z");
  }

  @Test
  void durationsParse() {
    assertThat(Schedule.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Schedule.parseDuration("120s")).isEqualTo(Duration.ofSeconds(120));
    assertThat(Schedule.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Schedule.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Schedule.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Schedule.parseDuration("12x")).isNull();
    assertThat(Schedule.parseDuration("120")).isNull();
  }

  private static JsonObject job(String name, String channel) {
    return new JsonObject().put("name", name).put("app", TestNode.APP).put("channel", channel);
  }

  private static List<JsonObject> on(List<JsonObject> messages, String channel) {
    return messages.stream().filter(m -> channel.equals(m.getString("channel"))).toList();
  }
}
