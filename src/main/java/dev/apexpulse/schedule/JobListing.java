package dev.apexpulse.schedule;

import dev.apexpulse.config.JobSettings;
import io.vertx.core.json.JsonObject;

/** A job as {@code GET /api/v1/jobs} and the console list it: its settings and the state its runner recorded. */
final class JobListing {
  private JobListing() {}

  /**
   * Configuration plus the state from {@link dev.apexpulse.lease.Runners} (runner node, runs, failures,
   * last run, duration, outcome, next run, last error); never the SQL text.
   */
  static JsonObject describe(JobSettings cfg, JsonObject state) {
    JsonObject o = new JsonObject()
        .put("name", cfg.name())
        .put("app", cfg.app())
        .put("channel", cfg.channel())
        .put("schedule", cfg.schedule().toJson())
        .put("kind", cfg.sql() == null ? "tick" : "sql")
        .put("onlyIfChanged", cfg.onlyIfChanged())
        .put("triggerable", cfg.triggerable());
    if (cfg.sql() != null) {
      o.put("maxRows", cfg.maxRows()).put("timeoutSeconds", cfg.timeoutSeconds());
    }
    JsonObject s = state == null ? new JsonObject() : state;
    return o.put("runner", s.getString("runner"))
        .put("runs", s.getLong("runs", 0L))
        .put("failures", s.getLong("failures", 0L))
        .put("lastRun", s.getString("lastRun"))
        .put("lastDurationMillis", s.getLong("lastDurationMillis"))
        .put("lastOutcome", s.getString("lastOutcome"))
        .put("nextRun", s.getString("nextRun"))
        .put("lastError", s.getString("lastError"))
        .put("lastErrorAt", s.getString("lastErrorAt"));
  }
}
