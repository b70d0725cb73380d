package dev.apexpulse.config;

import io.vertx.core.json.JsonObject;

/**
 * The {@code presence.sink:} section: keep the table {@code pulse_online} current with who is
 * subscribed where (docs/DATABASE.md). Off by default; needs a database ({@code db.url}).
 *
 * @param flushMillis        how often the changes of this node are written (one transaction)
 * @param maxPending         most changes waiting for the next write; past it they are dropped and
 *                           counted, and the next write rebuilds this node's rows from memory
 * @param nodeTimeoutSeconds a node whose heartbeat is older than this is taken for dead: the other
 *                           nodes remove its rows
 */
public record PresenceSinkSettings(boolean enabled, int flushMillis, int maxPending, int nodeTimeoutSeconds) {

  public static PresenceSinkSettings from(JsonObject root) {
    ConfigReader sink = new ConfigReader(root, "").section("presence").section("sink");
    PresenceSinkSettings s = new PresenceSinkSettings(
        sink.bool("enabled", false),
        sink.integer("flushMillis", 500, 10, 60_000),
        sink.integer("maxPending", 10_000, 1, 10_000_000),
        sink.integer("nodeTimeoutSeconds", 15, 2, 3600));
    if (s.enabled() && !DbSettings.from(root).enabled()) {
      throw new ConfigException(sink.key("enabled"), "the presence sink writes to the database: set db.url");
    }
    return s;
  }
}
