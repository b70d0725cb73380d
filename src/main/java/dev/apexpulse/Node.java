package dev.apexpulse;

import dev.apexpulse.admin.AdminAccess;
import dev.apexpulse.admin.AdminApi;
import dev.apexpulse.admin.Console;
import dev.apexpulse.admin.ConsoleGate;
import dev.apexpulse.admin.NodeHandle;
import dev.apexpulse.api.Health;
import dev.apexpulse.api.HttpApi;
import dev.apexpulse.auth.TokenVerifier;
import dev.apexpulse.background.Background;
import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Published;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.demo.DemoOrders;
import dev.apexpulse.demo.DemoPage;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.engine.NodeControl;
import dev.apexpulse.engine.StandaloneEngines;
import dev.apexpulse.gateway.Gateway;
import dev.apexpulse.history.History;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.online.JdbcOnlineStore;
import dev.apexpulse.online.PresenceSink;
import dev.apexpulse.presence.ObservedPresence;
import dev.apexpulse.presence.Presence;
import dev.apexpulse.schedule.JobTrigger;
import dev.apexpulse.session.Services;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Function;

/**
 * One gateway node. It wires the parts together (each gets what it uses in its constructor), runs
 * their lifecycle (start, drain on SIGTERM or by an operator, stop) and is the small facade that
 * {@link Main} and embedding code use. Standalone it is a cluster of one.
 */
public final class Node implements NodeControl, NodeHandle {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  /** How long the sequencer waits for a missing offset before filling the gap from history. */
  private static final long GAP_MILLIS = 100;
  private static final long HOUSEKEEPING_MILLIS = 60_000;

  private final Vertx vertx;
  private final Engines engines;
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final History history;
  /** The engines' presence, observed by the presence sink when that is on ({@link #deploy}). */
  private Presence presence;
  private PresenceSink sink;
  private final LocalHub hub;
  private final Bridge bridge;
  private final Publisher publisher;
  private final long startedAtMillis = System.currentTimeMillis();
  private final Promise<String> failed = Promise.promise();
  private Background background = Background.none();
  private Gateway gateway;
  private Console console;
  private Future<Void> stopped;
  private volatile Runnable afterDrain = () -> {};
  private volatile boolean ready;
  private volatile boolean draining;

  private Node(Vertx vertx, PulseConfig config, PulseMetrics metrics, Engines engines) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.engines = engines;
    this.history = engines.history(vertx, config);
    this.presence = engines.presence(vertx, config);
    this.hub = new LocalHub(vertx, history, metrics, instances(config), GAP_MILLIS, key -> config.channelOptions(key).delta());
    this.bridge = engines.bridge(vertx, config, hub);
    hub.bridge(bridge);
    this.publisher = new Publisher(config, history, bridge, engines.idempotency(vertx, config, metrics), metrics);
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
      node.deploy().compose(v -> engines.started(config, metrics, node.publisher, node)).onComplete(deployed -> {
        if (deployed.succeeded()) {
          node.ready = true;
          started.complete(node);
        } else {
          vertx.close().onComplete(v -> started.fail(deployed.cause()));
        }
      });
    });
    return started.future();
  }

  /**
   * The database and jobs, then (the presence sink, writing to that database, and) the sockets and
   * HTTP, then the console that watches them.
   */
  private Future<Void> deploy() {
    TokenVerifier tokens = new TokenVerifier(vertx, config);
    JobTrigger jobs = new JobTrigger(vertx, config.jobs());
    ConsoleGate gate = new ConsoleGate(config.admin().enabled() ? new AdminAccess(vertx, config.admin().key()) : null,
        vertx, config, metrics);
    return Background.start(vertx, config, publisher, metrics.registry()).compose(b -> {
      background = b;
      if (config.presenceSink().enabled()) {
        sink = new PresenceSink(vertx, config.nodeId(), config.presenceSink(), new JdbcOnlineStore(background.database(),
            Clock.systemUTC()), Clock.systemUTC(), metrics.registry());
        presence = new ObservedPresence(presence, sink);
      }
      Services services = new Services(vertx, config, metrics, tokens, publisher, hub, history, presence, bridge, jobs);
      Function<Vertx, Router> routes = routes(tokens, gate);
      return Gateway.deploy(vertx, instances(config), config, metrics, hub, routes, services, gate, () -> draining);
    }).compose(g -> {
      gateway = g;
      if (!gate.enabled()) {
        return Future.succeededFuture();
      }
      console = new Console(vertx, config, metrics, hub, gateway, this, background, jobs, gate);
      return console.start();
    });
  }

  /** Every event loop's router: health and metrics, the console's API, the REST API, the demo pages. */
  private Function<Vertx, Router> routes(TokenVerifier tokens, ConsoleGate gate) {
    Health health = new Health(config.nodeId(), metrics, background, () -> ready, () -> draining);
    AdminApi admin = new AdminApi(gate, config.nodeId());
    HttpApi api = new HttpApi(config, metrics, tokens, publisher, history, presence, background);
    // one per node, shared by the event loops; off unless dev mode, demo pages and an H2 db.url
    DemoOrders demo = config.http().demo() ? DemoOrders.start(vertx, config) : DemoOrders.off("the demo is off");
    return vx -> {
      Router router = Router.router(vx);
      health.mount(router);
      // before /api/v1/*, which would answer its own 404 for /api/v1/admin/…
      admin.mount(router, vx);
      api.mount(router, vx);
      if (config.http().demo()) {
        DemoPage.mount(router, config, vx, demo);
      }
      return router;
    };
  }

  private static int instances(PulseConfig config) {
    int n = config.http().instances();
    return n > 0 ? n : Runtime.getRuntime().availableProcessors();
  }

  /** Publishes a JSON value to a channel of an app, as every source does (see {@link Publisher}). */
  public Future<Published> publish(String app, String channel, Object data) {
    return publisher.publish(app, channel, data, null);
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

  @Override
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
        .compose(v -> gateway == null ? Future.<Void>succeededFuture() : withTimeout(gateway.drain(grace / 2), grace))
        .eventually(() -> backgroundStopped)
        .eventually(() -> console == null ? Future.succeededFuture() : console.stop())
        .eventually(engines::stopping)
        .eventually(() -> {
          history.close();
          presence.close();
          return bridge.stop();
        })
        .eventually(vertx::close)
        // andThen: logged before callers waiting for the stop (Main exits right after) see it complete
        .andThen(ar -> LOG.info("node {} stopped", config.nodeId()));
  }

  @Override
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

  /** The one way in for publishing (also for verticles deployed next to the node, e.g. in tests). */
  public Publisher publisher() {
    return publisher;
  }

  /** How this node runs (standalone or clustered), for logs. */
  public String describe() {
    return engines.describe();
  }

  @Override
  public boolean clustered() {
    return engines.clustered();
  }

  @Override
  public long startedAtMillis() {
    return startedAtMillis;
  }

  @Override
  public int port() {
    return gateway.port();
  }

  @Override
  public boolean ready() {
    return ready;
  }

  @Override
  public boolean draining() {
    return draining;
  }
}
