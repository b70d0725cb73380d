package dev.apexpulse.gateway;

import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.transport.ConnectionInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One event loop's share of the node: an HTTP server (all instances share the port), the connections it
 * accepted and their shard of the hub. Stateless apart from those connections.
 */
public final class GatewayVerticle extends VerticleBase {
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final LocalHub hub;
  private final Function<Vertx, Router> routes;
  private final Upgrades upgrades;
  private final SseStreams streams;
  private final SsePosts posts;
  private final int port;
  private Shard shard;
  private Connections connections;
  private HttpServer server;
  private long heartbeatTimer;

  GatewayVerticle(PulseConfig config, PulseMetrics metrics, LocalHub hub, Function<Vertx, Router> routes,
                  Upgrades upgrades, SseStreams streams, SsePosts posts, int port) {
    this.config = config;
    this.metrics = metrics;
    this.hub = hub;
    this.routes = routes;
    this.upgrades = upgrades;
    this.streams = streams;
    this.posts = posts;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    shard = hub.newShard(context);
    connections = new Connections(vertx, context, metrics);
    Router router = routes.apply(vertx);
    // the WebSocket transport enforces maxFrameBytes with a proper 1009; Netty's own cap (which drops the
    // TCP connection without a close frame) only guards memory should that check be bypassed
    int nettyCap = Math.max(4 * config.limits().maxFrameBytes(), 256 * 1024);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(port)
        .setMaxWebSocketFrameSize(nettyCap)
        .setMaxWebSocketMessageSize(nettyCap)
        .setPerMessageWebSocketCompressionSupported(config.http().compression())
        .setPerFrameWebSocketCompressionSupported(config.http().compression())
        .setWebSocketClosingTimeout(5)
        // HTTP/1.1 only (WebSockets need it): without cleartext HTTP/2 detection, a connection is
        // configured, and its request deadline armed, as soon as it is accepted (HttpDeadlines);
        // clients asking for an h2c upgrade (the JDK's does by default) simply stay on HTTP/1.1
        .setHttp2ClearTextEnabled(false)
        .setTcpNoDelay(true);
    long requestMillis = config.http().requestTimeoutSeconds() * 1000L;
    long idleMillis = config.http().idleTimeoutSeconds() * 1000L;
    long interval = config.heartbeatSeconds() * 1000L;
    long silentLimit = 2L * config.heartbeatSeconds() * 1_000_000_000L;
    heartbeatTimer = vertx.setPeriodic(interval, interval, t -> connections.heartbeat(System.nanoTime(), silentLimit));
    // upgrades and event streams bypass the router: its request wrapper would hide the connection's Netty
    // channel, which the fan-out writes to directly
    return vertx.createHttpServer(options)
        .connectionHandler(conn -> HttpDeadlines.install(conn, requestMillis, idleMillis, metrics))
        .requestHandler(req -> {
          String path = req.path();
          switch (path) {
            case "/ws" -> upgrades.app(req, shard, connections);
            case "/console/ws" -> upgrades.console(req, shard, connections, context);
            case "/sse" -> streams.open(req, shard, connections, context);
            default -> {
              if (path.startsWith("/sse/")) {
                posts.handle(req);
              } else {
                router.handle(req);
              }
            }
          }
        })
        .listen().onSuccess(s -> server = s);
  }

  int actualPort() {
    return server.actualPort();
  }

  /** This verticle's event loop (its connections live there). */
  Context context() {
    return context;
  }

  Future<List<ConnectionInfo>> connections() {
    return connections.list();
  }

  Future<Integer> disconnect(Predicate<ConnectionInfo> which, short code, String reason) {
    return connections.disconnect(which, code, reason);
  }

  Future<Void> closeAll(int batchSize, long pauseMillis) {
    return connections.closeAll(batchSize, pauseMillis);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(heartbeatTimer);
    connections.closeNow();
    return server == null ? Future.succeededFuture() : server.close();
  }
}
