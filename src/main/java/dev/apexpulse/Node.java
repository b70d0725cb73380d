package dev.apexpulse;

import dev.apexpulse.Background;
import dev.apexpulse.admin.AdminAccess;
import dev.apexpulse.admin.Console;
import dev.apexpulse.api.HttpApi;
import dev.apexpulse.auth.TokenVerifier;
import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.config.PresenceSinkSettings;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.engine.StandaloneEngines;
import dev.apexpulse.gateway.GatewayVerticle;
import dev.apexpulse.history.History;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.online.JdbcOnlineStore;
import dev.apexpulse.online.PresenceSink;
import dev.apexpulse.presence.ObservedPresence;
import dev.apexpulse.presence.Presence;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One gateway node: the services every event loop shares (auth, history, presence, hub, bridge,
 * publisher, metrics) and the verticles that accept sockets. Standalone it is a cluster of one.
 */
public final class Node {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  /** How long the sequencer waits for a missing offset before filling the gap from history. */
  private static final long GAP_MILLIS = 100;
  private static final long HOUSEKEEPING_MILLIS = 60_000;
  private static final long DRAIN_BATCH_PAUSE_MILLIS = 50;

  private final Vertx vertx;
  private final Engines engines;
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final TokenVerifier tokens;
  private final History history;
  private final Presence presence;
  private final PresenceSink sink;
  private final LocalHub hub;
  private final Bridge bridge;
  private final Publisher publisher;
  private final HttpApi api;
  private final Map<String, JobSettings> jobs = new HashMap<>();
  private final List<GatewayVerticle> gateways = new ArrayList<>();
  private final List<String> deployments = new ArrayList<>();
  private volatile Background background = Background.none();
  private Future<Void> stopped;
  private final AdminAccess adminAccess;
  private volatile Console console;
  private volatile Runnable afterDrain = () -> {};
  private final long startedAtMillis = System.currentTimeMillis();
  private volatile boolean ready;
  private volatile boolean draining;
  private final Promise<String> failed = Promise.promise();
  private int port;

  private Node(Vertx vertx, PulseConfig config, PulseMetrics metrics, Engines engines) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.engines = engines;
    this.tokens = new TokenVerifier(vertx, config);
    this.history = engines.history(vertx, config);
    PresenceSinkSettings sinkSettings = PresenceSinkSettings.from(config.raw());
    this.sink = sinkSettings.enabled() ? new PresenceSink(vertx, config.nodeId(), sinkSettings,
        new JdbcOnlineStore(() -> background.database(), Clock.systemUTC()), Clock.systemUTC(), metrics.registry()) : null;
    this.presence = sink == null ? engines.presence(vertx, config) : new ObservedPresence(engines.presence(vertx, config), sink);
    this.hub = new LocalHub(vertx, history, metrics, instances(config), GAP_MILLIS, config.limits().maxHistoryRequest());
    this.bridge = engines.bridge(vertx, config, hub);
    hub.bridge(bridge);
    this.publisher = new Publisher(config, history, bridge, metrics);
    this.adminAccess = config.admin().enabled() ? new AdminAccess(config.admin().key()) : null;
    this.api = new HttpApi(this);
    config.jobs().forEach(j -> jobs.put(j.name(), j));
    vertx.setPeriodic(HOUSEKEEPING_MILLIS, t -> engines.sweep(history, hub));
  }

  /** Starts a standalone node with its own Vert.x instance. */
  public static Future<Node> start(PulseConfig config) {
    return start(config, new StandaloneEngines());
  }

  /** Starts a node on its own Vert.x instance, built by the engines (clustered or not). */
  public static Future<Node> start(PulseConfig config, Engines engines) {
    PulseMetrics metrics = new PulseMetrics();
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    try {
      engines.configure(options, config);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    var builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(metrics.registry()));
    // completed outside any Vert.x context: a failed start closes Vert.x, whose threads then cannot
    // run the caller's callbacks
    Promise<Node> started = Promise.promise();
    engines.vertx(builder, config).onComplete(built -> {
      if (built.failed()) {
        started.fail(built.cause());
        return;
      }
      Vertx vertx = built.result();
      Node node;
      try {
        node = new Node(vertx, config, metrics, engines);
      } catch (RuntimeException e) {
        vertx.close().onComplete(v -> started.fail(e));
        return;
      }
      node.deploy().compose(v -> engines.started(node)).onComplete(deployed -> {
        if (deployed.succeeded()) {
          started.complete(node);
        } else {
          vertx.close().onComplete(v -> started.fail(deployed.cause()));
        }
      });
    });
    return started.future();
  }

  private Future<Void> deploy() {
    int count = instances(config);
    // servers of one Vert.x instance on the same host and port share it, port 0 included
    GatewayVerticle first = new GatewayVerticle(this, config.http().port());
    return vertx.deployVerticle(first).compose(id -> {
      deployments.add(id);
      gateways.add(first);
      port = first.actualPort();
      Future<Void> rest = Future.succeededFuture();
      for (int i = 1; i < count; i++) {
        GatewayVerticle g = new GatewayVerticle(this, config.http().port());
        rest = rest.compose(v -> vertx.deployVerticle(g).map(d -> {
          deployments.add(d);
          gateways.add(g);
          return null;
        }));
      }
      return rest;
    }).compose(v -> Background.start(this)).map(b -> {
      background = b;
      return (Void) null;
    }).compose(v -> adminAccess == null ? Future.succeededFuture() : Console.start(this).map(c -> {
      console = c;
      return (Void) null;
    })).onSuccess(v -> ready = true);
  }

  private static int instances(PulseConfig config) {
    int n = config.http().instances();
    return n > 0 ? n : Runtime.getRuntime().availableProcessors();
  }

  /**
   * Drains and stops: turns not-ready, waits {@code drain.readinessDelaySeconds} for load balancers to
   * notice (new upgrades are refused meanwhile), closes every socket with 1012 in batches spread over
   * half the grace time (clients reconnect elsewhere without a stampede), then closes Vert.x.
   */
  public synchronized Future<Void> stop() {
    // once: a second caller (SIGTERM handler and shutdown hook, a test) waits for the same drain
    if (stopped == null) {
      stopped = drainAndClose();
    }
    return stopped;
  }

  /**
   * Stops the node because it can no longer serve correctly (the cluster dropped it): logged, then the
   * same drain as {@link #stop()}; {@link #failed()} completes once it has stopped.
   */
  public void fail(String reason) {
    if (failed.future().isComplete() || draining) {
      return;
    }
    LOG.error("{}", reason);
    stop().onComplete(ar -> failed.tryComplete(reason));
  }

  /** Completes with the reason when the node stopped itself ({@link #fail}); never otherwise. */
  public Future<String> failed() {
    return failed.future();
  }

  private Future<Void> drainAndClose() {
    ready = false;
    draining = true;
    // first, so that another node takes over the outbox and the jobs while this one drains
    Future<Void> backgroundStopped = (sink == null ? Future.<Void>succeededFuture() : sink.close()).eventually(background::stop);
    long grace = Math.max(1, config.drainGraceSeconds()) * 1000L;
    Promise<Void> noticed = Promise.promise();
    vertx.setTimer(Math.max(1, config.drainReadinessDelaySeconds() * 1000L), t -> noticed.complete());
    return noticed.future()
        .compose(v -> {
          int total = Math.max(1, metrics.connections());
          int batches = (int) Math.max(1, grace / 2 / DRAIN_BATCH_PAUSE_MILLIS);
          int batch = Math.max(100, (total + batches - 1) / batches);
          List<Future<Void>> closing = new ArrayList<>();
          for (GatewayVerticle g : gateways) {
            closing.add(g.closeAll(batch, DRAIN_BATCH_PAUSE_MILLIS));
          }
          return withTimeout(Future.all(closing).mapEmpty(), grace);
        })
        .eventually(() -> backgroundStopped)
        .eventually(() -> console == null ? Future.succeededFuture() : console.stop())
        .eventually(() -> engines.stopping(this))
        .eventually(() -> {
          history.close();
          presence.close();
          return bridge.stop();
        })
        .eventually(vertx::close)
        // andThen: logged before callers waiting for the stop (Main exits right after) see it complete
        .andThen(ar -> LOG.info("node {} stopped", config.nodeId()));
  }

  /**
   * Drains the node as SIGTERM does ({@link #stop}), asked by an operator; then runs the hook that
   * {@link #afterDrain} set (Main: exit the process, as after SIGTERM; tests: nothing).
   */
  public Future<Void> drain(String by) {
    LOG.warn("node {}: drain requested by {}", config.nodeId(), by);
    return stop().onComplete(ar -> afterDrain.run());
  }

  /** What to do once an operator's drain finished (the process exits in Main). */
  public void afterDrain(Runnable hook) {
    this.afterDrain = hook;
  }

  private Future<Void> withTimeout(Future<Void> f, long millis) {
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(millis, t -> {
      if (p.tryComplete()) {
        LOG.warn("drain grace time of {} ms over, closing the remaining sockets", millis);
      }
    });
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      p.tryComplete();
    });
    return p.future();
  }

  public Vertx vertx() {
    return vertx;
  }

  public PulseConfig config() {
    return config;
  }

  public PulseMetrics metrics() {
    return metrics;
  }

  public TokenVerifier tokens() {
    return tokens;
  }

  public History history() {
    return history;
  }

  public Presence presence() {
    return presence;
  }

  public LocalHub hub() {
    return hub;
  }

  public Bridge bridge() {
    return bridge;
  }

  public Publisher publisher() {
    return publisher;
  }

  /** A configured job by name, or null. */
  public JobSettings job(String name) {
    return jobs.get(name);
  }

  public HttpApi api() {
    return api;
  }

  /** The operator console's credentials, or null when no admin key is configured (console off). */
  public AdminAccess adminAccess() {
    return adminAccess;
  }

  /** The operator console's services on this node, or null (off, or not started yet). */
  public Console console() {
    return console;
  }

  /** The event-loop verticles that hold this node's sockets. */
  public List<GatewayVerticle> gateways() {
    return List.copyOf(gateways);
  }

  public long startedAtMillis() {
    return startedAtMillis;
  }

  /** The database, outbox poller and scheduled jobs (nothing when none is configured). */
  public Background background() {
    return background;
  }

  /** How this node runs (standalone or clustered), for logs. */
  public String describe() {
    return engines.describe();
  }

  public int port() {
    return port;
  }

  public boolean ready() {
    return ready;
  }

  public boolean draining() {
    return draining;
  }
}
