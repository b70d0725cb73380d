package dev.apexpulse.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The demo jobs of conf/demo.yaml join the configuration only where they cannot do harm: dev mode,
 * {@code http.demo} on, app "100" configured, and no job configured at all. A SQL job among them is
 * kept only when {@code db.url} points at H2, the embedded database where the demo creates its table.
 */
public final class DemoDefaults {
  public static final String FILE = "conf/demo.yaml";
  static final String APP = "100";

  private DemoDefaults() {}

  /** Whether the demo jobs apply to this (merged, environment-applied) configuration. */
  public static boolean wanted(JsonObject config) {
    Object mode = config.getValue("mode");
    if (mode != null && !"dev".equalsIgnoreCase(String.valueOf(mode).trim())) {
      return false;
    }
    JsonObject http = config.getValue("http") instanceof JsonObject h ? h : new JsonObject();
    Object demo = http.getValue("demo");
    if (demo != null && !Boolean.parseBoolean(String.valueOf(demo).trim())) {
      return false;
    }
    if (!(config.getValue("apps") instanceof JsonObject apps) || !apps.containsKey(APP)) {
      return false;
    }
    Object jobs = config.getValue("jobs");
    return jobs == null || (jobs instanceof JsonArray a && a.isEmpty());
  }

  /** The configuration with the demo's jobs when {@link #wanted}; unchanged otherwise. */
  public static JsonObject apply(JsonObject config, JsonObject demo) {
    if (!wanted(config) || !(demo.getValue("jobs") instanceof JsonArray jobs)) {
      return config;
    }
    JsonObject db = config.getValue("db") instanceof JsonObject d ? d : new JsonObject();
    boolean h2 = db.getValue("url") instanceof String url && url.trim().startsWith("jdbc:h2:");
    JsonArray kept = new JsonArray();
    for (Object job : jobs) {
      if (job instanceof JsonObject j && (h2 || !j.containsKey("sql"))) {
        kept.add(j.copy());
      }
    }
    JsonObject out = config.copy();
    out.put("jobs", kept);
    return out;
  }
}
