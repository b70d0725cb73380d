package dev.apexpulse.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads {@code conf/pulse.yaml} (from the working directory, else the copy inside the jar), then the
 * file named by {@code PULSE_CONF} merged over it, then the PULSE_* environment; in dev mode with the
 * demo on and no jobs configured, adds the demo's jobs from {@code conf/demo.yaml} ({@link DemoDefaults}).
 */
public final class ConfigLoader {
  public static final String DEFAULT_FILE = "conf/pulse.yaml";

  private ConfigLoader() {}

  public static Future<PulseConfig> load(Vertx vertx, Map<String, String> env) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(yaml(DEFAULT_FILE, false));
    String extra = env.get("PULSE_CONF");
    if (extra != null && !extra.isBlank()) {
      if (!Files.isRegularFile(Path.of(extra))) {
        return Future.failedFuture(new ConfigException("PULSE_CONF", "no such file: " + extra));
      }
      options.addStore(yaml(extra, false));
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(retriever::close)
        .recover(e -> Future.failedFuture(e instanceof ConfigException ? e
            : new ConfigException(extra == null ? DEFAULT_FILE : extra, "cannot read YAML: " + e.getMessage())))
        .map(json -> EnvOverlay.apply(json, env))
        .compose(json -> DemoDefaults.wanted(json) ? withDemo(vertx, json) : Future.succeededFuture(json))
        .map(PulseConfig::from);
  }

  /** Dev mode with the demo on and no jobs: the demo's jobs from conf/demo.yaml (see DemoDefaults). */
  private static Future<JsonObject> withDemo(Vertx vertx, JsonObject config) {
    ConfigRetriever demo = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(yaml(DemoDefaults.FILE, true)));
    return demo.getConfig()
        .eventually(demo::close)
        .recover(e -> Future.failedFuture(new ConfigException(DemoDefaults.FILE, "cannot read YAML: " + e.getMessage())))
        .map(jobs -> DemoDefaults.apply(config, jobs));
  }

  private static ConfigStoreOptions yaml(String path, boolean optional) {
    return new ConfigStoreOptions().setType("file").setFormat("yaml").setOptional(optional)
        .setConfig(new JsonObject().put("path", path));
  }
}
