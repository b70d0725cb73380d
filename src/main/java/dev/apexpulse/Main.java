package dev.apexpulse;

import dev.apexpulse.auth.DevTokens;
import dev.apexpulse.cluster.ClusterEngines;
import dev.apexpulse.config.AdminSettings;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.ConfigException;
import dev.apexpulse.config.ConfigLoader;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.engine.StandaloneEngines;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/** Starts a node from conf/pulse.yaml, PULSE_CONF and the environment; drains it on SIGTERM. */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  /** Exit status when a node that stopped itself (dropped by its cluster) could not be started again. */
  public static final int EXIT_FAILED = 75;

  private Main() {}

  public static void main(String[] args) throws Exception {
    long started = System.nanoTime();
    String logFormat = System.getProperty("PULSE_LOG_FORMAT", System.getenv().getOrDefault("PULSE_LOG_FORMAT", "plain"));
    if (!logFormat.equals("plain") && !logFormat.equals("json")) {
      System.err.println("apex-pulse: configuration PULSE_LOG_FORMAT: expected plain or json, got '" + logFormat + "'");
      System.exit(2);
      return;
    }
    PulseConfig config;
    Vertx loader = Vertx.vertx();
    try {
      config = ConfigLoader.load(loader, System.getenv()).await(30, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      System.err.println("apex-pulse: " + e.getMessage());
      System.exit(2);
      return;
    } finally {
      loader.close();
    }
    Supplier<Engines> engines;
    try {
      // validated even when off: a typo in cluster: fails now, not on the day it is switched on
      engines = ClusterConfig.from(config).enabled() ? ClusterEngines::new : StandaloneEngines::new;
    } catch (ConfigException e) {
      System.err.println("apex-pulse: " + e.getMessage());
      System.exit(2);
      return;
    }
    Node node;
    try {
      node = Node.start(config, engines.get()).await(120, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      System.err.println("apex-pulse: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      System.err.println("apex-pulse: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    // a node that stopped itself (dropped by its cluster) is replaced in this process by a fresh one; an
    // operator's drain (console) ends like SIGTERM: the process exits once the node stopped
    NodeSupervisor nodes = new NodeSupervisor(config, engines, node, () -> new Thread(() -> System.exit(0), "pulse-exit").start());
    // SIGTERM (docker stop, Kubernetes) drains and exits 0, or 1 when the drain failed; other ways out
    // (SIGINT, System.exit) drain in the shutdown hook. Node.stop() runs once and every caller waits for it.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> drain(nodes.current(), config), "pulse-shutdown"));
    onSigterm(() -> System.exit(drain(nodes.current(), config) ? 0 : 1));
    LOG.info("apex-pulse node {} ready on {}:{} ({} mode, {}) in {} ms", config.nodeId(),
        config.http().host(), node.port(), config.mode().name().toLowerCase(), node.describe(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    if (config.mode() == PulseConfig.Mode.DEV) {
      printDevBanner(node, config);
    }
    if (!config.admin().enabled()) {
      LOG.info("operator console off: set PULSE_ADMIN_KEY (at least {} characters) to open /console", AdminSettings.MIN_KEY_LENGTH);
    }
  }

  /** Drains the node (see {@link Node#stop()}); false when it did not finish within its time. */
  private static boolean drain(Node node, PulseConfig config) {
    if (!node.draining()) {
      LOG.info("stopping: not ready for {} s, then draining connections (at most {} s)",
          config.drainReadinessDelaySeconds(), config.drainGraceSeconds());
    }
    try {
      node.stop().await(config.drainReadinessDelaySeconds() + config.drainGraceSeconds() + 10L, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      LOG.warn("stop did not finish cleanly: {}", e.toString());
      return false;
    }
  }

  /**
   * Runs the action on the first SIGTERM, on its own thread. Without this the JVM's default handler
   * runs the shutdown hooks and exits with 143 even after a clean drain. Where the signal cannot be
   * handled (e.g. -Xrs) the shutdown hook still drains.
   */
  private static void onSigterm(Runnable action) {
    AtomicBoolean once = new AtomicBoolean();
    try {
      Signal.handle(new Signal("TERM"), sig -> {
        if (once.compareAndSet(false, true)) {
          new Thread(action, "pulse-sigterm").start();
        }
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.debug("cannot handle SIGTERM ({}), the shutdown hook drains", e.toString());
    }
  }

  /** Dev mode only: a ready-to-use token and curl example for each app whose secret was generated. */
  private static void printDevBanner(Node node, PulseConfig config) {
    if (config.admin().generated()) {
      System.out.println(String.join("\n",
          "",
          "==================== DEV MODE ONLY: generated for this start, never use in production ====================",
          "operator console: http://localhost:" + node.port() + "/console",
          "  admin key: " + config.admin().key() + "   (set PULSE_ADMIN_KEY to fix it)",
          "=========================================================================================================="));
    }
    for (AppConfig app : config.apps().values()) {
      if (!app.generated()) {
        continue;
      }
      String token = new DevTokens(node.vertx(), app).mint("dev", "Developer", List.of("**"), List.of("**"), 12 * 3600);
      String base = "http://localhost:" + node.port();
      System.out.println(String.join("\n",
          "",
          "==================== DEV MODE ONLY: generated for this start, never use in production ====================",
          "app " + app.id() + " secret and API key were generated (set PULSE_APP_" + app.id() + "_SECRET / _API_KEY to fix them)",
          "  token (12 h, user 'dev', all channels):",
          "    " + token,
          "  API key: " + app.apiKey(),
          "  connect:  ws://localhost:" + node.port() + "/ws?token=" + token,
          "  publish:  curl -s -X POST " + base + "/api/v1/apps/" + app.id() + "/publish \\",
          "              -H 'Authorization: Bearer " + app.apiKey() + "' -H 'Content-Type: application/json' \\",
          "              -d '{\"channel\":\"dashboard/department/3\",\"data\":{\"orders\":42}}'",
          "  demo page: " + base + "/",
          "==========================================================================================================",
          ""));
    }
  }
}
