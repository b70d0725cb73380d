package dev.apexpulse.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a job runs: a fixed interval ({@code every: 120s}) or a cron expression in a time zone.
 *
 * <p>Cron expressions (cron-utils): five fields are classic Unix cron, minute precision
 * ({@code min hour day-of-month month day-of-week}, Sunday 0 or 7); six fields add seconds in front,
 * Spring style ({@code sec min hour day-of-month month day-of-week}, {@code *} allowed in both day
 * fields, {@code ?}, {@code L}, {@code W}, {@code #}, MON-FRI, Monday 1 … Sunday 7) and the nicknames
 * {@code @hourly}, {@code @daily}, {@code @weekly}, {@code @monthly}, {@code @yearly}. Fields are read
 * in the job's zone; a local time that does not exist on a daylight-saving change is skipped.
 */
public interface Schedule {

  /** The first run time strictly after {@code after}, or null if there is none. */
  Instant next(Instant after);

  /** For the jobs listing: {@code {"every":"120s"}} or {@code {"cron":"…","zone":"…"}}. */
  JsonObject toJson();

  Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

  /** Parses {@code 500ms}, {@code 120s}, {@code 5m}, {@code 1h}, {@code 1d}; null if it is not one. */
  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  static Schedule every(Duration interval, String text) {
    return new Every(interval, text);
  }

  /** Parses a cron expression, or throws IllegalArgumentException saying what is wrong. */
  static Schedule cron(String expression, ZoneId zone) {
    String expr = expression.trim().replaceAll("\\s+", " ");
    CronType type = expr.split(" ").length == 5 ? CronType.UNIX : CronType.SPRING53;
    Cron cron;
    try {
      cron = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(expr);
      cron.validate();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new CronSchedule(expr, zone, ExecutionTime.forCron(cron));
  }

  record Every(Duration interval, String text) implements Schedule {
    @Override
    public Instant next(Instant after) {
      return after.plus(interval);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("every", text);
    }
  }

  record CronSchedule(String expression, ZoneId zone, ExecutionTime times) implements Schedule {
    @Override
    public Instant next(Instant after) {
      Optional<ZonedDateTime> next = times.nextExecution(ZonedDateTime.ofInstant(after, zone));
      return next.map(ZonedDateTime::toInstant).orElse(null);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("cron", expression).put("zone", zone.getId());
    }
  }
}
