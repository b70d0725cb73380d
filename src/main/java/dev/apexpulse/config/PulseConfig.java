package dev.apexpulse.config;

import dev.apexpulse.core.ChannelKey;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The whole validated configuration of a node. Built once at start; immutable. */
public record PulseConfig(
    Mode mode,
    String nodeId,
    Http http,
    int heartbeatSeconds,
    int authLeewaySeconds,
    int authTimeoutSeconds,
    Limits limits,
    HistorySettings history,
    IdempotencySettings idempotency,
    int drainGraceSeconds,
    int drainReadinessDelaySeconds,
    Map<String, AppConfig> apps,
    AdminSettings admin,
    JsonObject raw) {

  public enum Mode { DEV, PRODUCTION }

  /**
   * @param requestTimeoutSeconds time to send a whole HTTP request (from the connection's opening or the
   *                              request's first byte), 0 = none: slowloris protection
   * @param idleTimeoutSeconds    time a kept-alive HTTP connection may sit without a request, 0 = none
   */
  public record Http(String host, int port, int instances, int maxBodyBytes, boolean compression, boolean demo,
                     int requestTimeoutSeconds, int idleTimeoutSeconds) {}

  public record Limits(int maxFrameBytes, int maxPublishBytes, int maxSubscriptions, int frameRate, int frameBurst,
                       int maxQueuedBytes, int maxConnections, int maxHistoryRequest, int apiRate, int apiBurst,
                       int triggerRate, int triggerBurst, int historyRate, int historyBurst) {}

  public record HistorySettings(int size, int ttlSeconds) {}

  /**
   * @param windowSeconds how long a publish's idempotency key is remembered: a repeat within it publishes nothing
   * @param maxKeys       keys a node keeps at most (standalone: in memory; cluster: its share of the map)
   */
  public record IdempotencySettings(int windowSeconds, int maxKeys) {}

  private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** App ids starting with this are the gateway's own (the operator console's {@code __admin}). */
  public static final String RESERVED_APP_PREFIX = "__";

  public static PulseConfig from(JsonObject json) {
    ConfigReader root = new ConfigReader(json, "");
    String modeText = root.string("mode", "dev").trim().toLowerCase();
    Mode mode = switch (modeText) {
      case "dev" -> Mode.DEV;
      case "production", "prod" -> Mode.PRODUCTION;
      default -> throw new ConfigException("mode", "expected dev or production, got '" + modeText + "'");
    };
    String nodeId = root.section("node").string("id", "");
    if (nodeId.isBlank()) {
      nodeId = "n-" + randomHex(4);
    }

    ConfigReader http = root.section("http");
    Http httpCfg = new Http(
        http.string("host", "0.0.0.0"),
        http.integer("port", 8080, 0, 65535),
        http.integer("instances", 0, 0, 64),
        http.integer("maxBodyBytes", 1 << 20, 1024, 64 << 20),
        http.bool("compression", false),
        http.bool("demo", true),
        http.integer("requestTimeoutSeconds", 10, 0, 3600),
        http.integer("idleTimeoutSeconds", 120, 0, 86400));

    ConfigReader limits = root.section("limits");
    Limits limitsCfg = new Limits(
        limits.integer("maxFrameBytes", 65536, 1024, 16 << 20),
        limits.integer("maxPublishBytes", 65536, 16, 16 << 20),
        limits.integer("maxSubscriptions", 256, 1, 100_000),
        limits.integer("frameRate", 50, 1, 1_000_000),
        limits.integer("frameBurst", 100, 1, 1_000_000),
        limits.integer("maxQueuedBytes", 512 * 1024, 4096, 256 << 20),
        limits.integer("maxConnections", 10_000, 1, 10_000_000),
        limits.integer("maxHistoryRequest", 1000, 1, 1_000_000),
        limits.integer("apiRate", 1000, 1, 10_000_000),
        limits.integer("apiBurst", 2000, 1, 10_000_000),
        limits.integer("triggerRate", 1, 1, 10_000),
        limits.integer("triggerBurst", 5, 1, 10_000),
        limits.integer("historyRate", 5, 1, 1_000_000),
        limits.integer("historyBurst", 10, 1, 1_000_000));

    ConfigReader history = root.section("history");
    HistorySettings historyCfg = new HistorySettings(
        history.integer("size", 100, 0, 1_000_000),
        history.integer("ttlSeconds", 600, 1, 7 * 24 * 3600));

    ConfigReader idempotency = root.section("idempotency");
    IdempotencySettings idempotencyCfg = new IdempotencySettings(
        idempotency.integer("windowSeconds", 300, 1, 7 * 24 * 3600),
        idempotency.integer("maxKeys", 100_000, 1, 100_000_000));

    ConfigReader appsSection = root.section("apps");
    Map<String, AppConfig> apps = new LinkedHashMap<>();
    for (String id : appsSection.raw().fieldNames()) {
      if (!APP_ID.matcher(id).matches()) {
        throw new ConfigException(appsSection.key(id), "app id must match [A-Za-z0-9_-]{1,64}");
      }
      if (id.startsWith(RESERVED_APP_PREFIX)) {
        throw new ConfigException(appsSection.key(id), "app ids starting with " + RESERVED_APP_PREFIX + " are reserved for the gateway");
      }
      apps.put(id, AppConfig.from(id, appsSection.section(id), mode, historyCfg));
    }

    // the database bridge and the scheduler: validated here so that a bad value stops the start
    JobSettings.listFrom(json, apps, DbSettings.from(json).enabled());
    PresenceSinkSettings.from(json);

    return new PulseConfig(
        mode, nodeId, httpCfg,
        root.section("heartbeat").integer("intervalSeconds", 25, 1, 3600),
        root.section("auth").integer("leewaySeconds", 30, 0, 3600),
        root.section("auth").integer("timeoutSeconds", 5, 1, 300),
        limitsCfg, historyCfg, idempotencyCfg,
        root.section("drain").integer("graceSeconds", 10, 0, 3600),
        root.section("drain").integer("readinessDelaySeconds", 0, 0, 600),
        Collections.unmodifiableMap(apps),
        AdminSettings.from(root.section("admin"), mode, apps),
        json.copy());
  }

  public AppConfig app(String id) {
    return id == null ? null : apps.get(id);
  }

  /** The options of a channel of a configured app ({@link ChannelRules}). */
  public ChannelOptions channelOptions(ChannelKey key) {
    return apps.get(key.app()).channels().of(key.channel());
  }

  /** The {@code db:} and {@code outbox:} sections (validated by {@link #from}). */
  public DbSettings db() {
    return DbSettings.from(raw);
  }

  /** The {@code presence.sink:} section (validated by {@link #from}). */
  public PresenceSinkSettings presenceSink() {
    return PresenceSinkSettings.from(raw);
  }

  /** The {@code jobs:} list (validated by {@link #from}). */
  public List<JobSettings> jobs() {
    return JobSettings.listFrom(raw, apps, db().enabled());
  }

  /** The configuration section of a later component (cluster, db, jobs), validated by its owner. */
  public JsonObject section(String name) {
    JsonObject s = raw.getJsonObject(name);
    return s == null ? new JsonObject() : s;
  }

  static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
