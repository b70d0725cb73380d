package dev.apexpulse.config;

import dev.apexpulse.config.Schedule;
import dev.apexpulse.core.ChannelName;
import io.vertx.core.json.JsonObject;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of the {@code jobs:} list: what to publish (a SQL result or a tick), where (app, channel)
 * and when ({@code every} or {@code cron} + {@code zone}). See docs/DATABASE.md.
 *
 * @param sql               a query whose rows are published, or null for a tick {@code {"tick":n,"at":…}}
 * @param maxRows           rows published at most (the rest are cut and {@code "truncated":true} is added)
 * @param onlyIfChanged     skip the publish when the rows equal the last published rows
 * @param timeoutSeconds    query timeout
 * @param triggerable       may be run on demand by a {@code trigger} frame (token claim {@code trig})
 * @param minIntervalMillis least time between the start of a run and a triggered run: triggers within
 *                          it share one run (default 1000)
 */
public record JobSettings(
    String name,
    String app,
    String channel,
    Schedule schedule,
    String sql,
    int maxRows,
    boolean onlyIfChanged,
    int timeoutSeconds,
    boolean triggerable,
    int minIntervalMillis) {

  public static final int MAX_ROWS_LIMIT = 10_000;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final long MIN_EVERY_MILLIS = 100;
  private static final Set<String> KEYS = Set.of("name", "app", "channel", "every", "cron", "zone", "sql", "maxRows",
      "onlyIfChanged", "timeoutSeconds", "triggerable", "minIntervalMillis");

  /** The {@code jobs:} list, validated against the configured apps and whether a database is configured. */
  public static List<JobSettings> listFrom(JsonObject root, Map<String, AppConfig> apps, boolean database) {
    ConfigReader top = new ConfigReader(root, "");
    List<JsonObject> entries = top.objects("jobs");
    List<JobSettings> jobs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      JobSettings job = from(new ConfigReader(entries.get(i), "jobs[" + i + "]"), apps, database);
      if (!names.add(job.name())) {
        throw new ConfigException("jobs[" + i + "].name", "'" + job.name() + "' is used by another job");
      }
      jobs.add(job);
    }
    return List.copyOf(jobs);
  }

  private static JobSettings from(ConfigReader job, Map<String, AppConfig> apps, boolean database) {
    for (String key : job.raw().fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new ConfigException(job.key(key), "unknown key (a job has " + String.join(", ", KEYS.stream().sorted().toList()) + ")");
      }
    }
    String name = required(job, "name");
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(job.key("name"), "'" + name + "' must match [A-Za-z0-9_.-]{1,64}");
    }
    String app = required(job, "app");
    if (!apps.containsKey(app)) {
      throw new ConfigException(job.key("app"), "no app '" + app + "' is configured under apps");
    }
    String channel;
    try {
      channel = ChannelName.normalise(required(job, "channel"));
    } catch (ChannelName.InvalidChannelException e) {
      throw new ConfigException(job.key("channel"), e.getMessage());
    }

    String every = job.string("every", "").trim();
    String cron = job.string("cron", "").trim();
    String zoneText = job.string("zone", "").trim();
    if (every.isEmpty() == cron.isEmpty()) {
      throw new ConfigException(job.key(every.isEmpty() ? "every" : "cron"), "a job needs exactly one of every (like 120s) or cron");
    }
    Schedule schedule;
    if (!every.isEmpty()) {
      if (!zoneText.isEmpty()) {
        throw new ConfigException(job.key("zone"), "zone applies to cron schedules only");
      }
      Duration interval = Schedule.parseDuration(every);
      if (interval == null) {
        throw new ConfigException(job.key("every"), "'" + every + "' is not a duration (like 500ms, 120s, 5m, 1h, 1d)");
      }
      if (interval.toMillis() < MIN_EVERY_MILLIS) {
        throw new ConfigException(job.key("every"), "'" + every + "' is shorter than " + MIN_EVERY_MILLIS + "ms");
      }
      schedule = Schedule.every(interval, every);
    } else {
      ZoneId zone;
      try {
        zone = ZoneId.of(zoneText.isEmpty() ? "UTC" : zoneText);
      } catch (DateTimeException e) {
        throw new ConfigException(job.key("zone"), "'" + zoneText + "' is not a time zone (like Europe/Berlin, UTC)");
      }
      try {
        schedule = Schedule.cron(cron, zone);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(job.key("cron"), "'" + cron + "' is not a cron expression: " + e.getMessage());
      }
    }

    String sql = job.string("sql", "").trim();
    while (sql.endsWith(";")) {
      sql = sql.substring(0, sql.length() - 1).trim();
    }
    if (!sql.isEmpty() && !database) {
      throw new ConfigException(job.key("sql"), "a SQL job needs a database: set db.url");
    }
    boolean onlyIfChanged = job.bool("onlyIfChanged", false);
    if (onlyIfChanged && sql.isEmpty()) {
      throw new ConfigException(job.key("onlyIfChanged"), "applies to SQL jobs only (a tick always changes)");
    }
    return new JobSettings(name, app, channel, schedule, sql.isEmpty() ? null : sql,
        job.integer("maxRows", 100, 1, MAX_ROWS_LIMIT),
        onlyIfChanged,
        job.integer("timeoutSeconds", 30, 1, 3600),
        job.bool("triggerable", false),
        job.integer("minIntervalMillis", 1000, 0, 86_400_000));
  }

  private static String required(ConfigReader job, String key) {
    String v = job.string(key, "").trim();
    if (v.isEmpty()) {
      throw new ConfigException(job.key(key), "missing (each job needs name, app, channel and every or cron)");
    }
    return v;
  }
}
