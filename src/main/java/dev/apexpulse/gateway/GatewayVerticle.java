package dev.apexpulse.gateway;

import dev.apexpulse.Node;
import dev.apexpulse.admin.AdminAccess;
import dev.apexpulse.api.ApiError;
import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.ChannelPattern;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.core.CloseCode;
import dev.apexpulse.core.ErrorCode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * One event loop's share of the node: an HTTP server (all instances share the port), the sockets it
 * accepted and their shard of the hub. Stateless apart from those sockets.
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final AtomicLong CONNECTION_IDS = new AtomicLong();

  private final Node node;
  private final int port;
  private final Set<Connection> connections = new LinkedHashSet<>();
  private Shard shard;
  private HttpServer server;
  private long heartbeatTimer;

  public GatewayVerticle(Node node, int port) {
    this.node = node;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    shard = node.hub().newShard(context);
    Router router = node.api().router(vertx);
    // Connection enforces maxFrameBytes with a proper 1009; Netty's own cap (which drops the TCP
    // connection without a close frame) only guards memory against absurd frames
    int nettyCap = Math.max(4 * node.config().limits().maxFrameBytes(), 256 * 1024);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(node.config().http().host())
        .setPort(port)
        .setMaxWebSocketFrameSize(nettyCap)
        .setMaxWebSocketMessageSize(nettyCap)
        .setPerMessageWebSocketCompressionSupported(node.config().http().compression())
        .setPerFrameWebSocketCompressionSupported(node.config().http().compression())
        .setWebSocketClosingTimeout(5)
        // HTTP/1.1 only (WebSockets need it): without cleartext HTTP/2 detection, a connection is
        // configured, and its request deadline armed, as soon as it is accepted (HttpDeadlines);
        // clients asking for an h2c upgrade (the JDK's does by default) simply stay on HTTP/1.1
        .setHttp2ClearTextEnabled(false)
        .setTcpNoDelay(true);
    long requestMillis = node.config().http().requestTimeoutSeconds() * 1000L;
    long idleMillis = node.config().http().idleTimeoutSeconds() * 1000L;
    long interval = node.config().heartbeatSeconds() * 1000L;
    heartbeatTimer = vertx.setPeriodic(interval, interval, t -> heartbeat());
    // upgrades bypass the router: its request wrapper would hide the socket's Netty channel, which
    // the fan-out writes to directly
    return vertx.createHttpServer(options)
        .connectionHandler(conn -> HttpDeadlines.install(conn, requestMillis, idleMillis, node.metrics()))
        .requestHandler(req -> {
          if ("/ws".equals(req.path())) {
            upgrade(req);
          } else {
            router.handle(req);
          }
        })
        .listen().onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server.actualPort();
  }

  private void upgrade(HttpServerRequest req) {
    HttpServerResponse response = req.response();
    if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
      ApiError.send(response, 400, ErrorCode.BAD_REQUEST, "/ws expects a WebSocket upgrade");
      return;
    }
    if (node.draining()) {
      node.metrics().upgradeRefused("draining");
      ApiError.send(response, 503, ErrorCode.UNAVAILABLE, "node is shutting down, connect to another");
      return;
    }
    String origin = req.getHeader("Origin");
    String token = req.getParam("token");
    if (AdminAccess.looksLikeToken(token)) {
      upgradeConsole(req, token, origin);
      return;
    }
    String appParam = req.getParam("app");
    AppConfig app = token == null && appParam != null ? node.config().app(appParam) : null;
    if (token == null && appParam != null && (app == null || app.anonymous().isEmpty())) {
      node.metrics().upgradeRefused("anonymous");
      ApiError.send(response, 401, ErrorCode.UNAUTHORIZED, "app " + appParam + " allows no anonymous connections");
      return;
    }
    if (!originAllowed(app, origin)) {
      node.metrics().upgradeRefused("origin");
      ApiError.send(response, 403, ErrorCode.FORBIDDEN, "origin not allowed");
      return;
    }
    if (node.metrics().connections() >= node.config().limits().maxConnections()) {
      node.metrics().upgradeRefused("limit");
      ApiError.send(response, 503, ErrorCode.LIMIT_EXCEEDED, "node is at its connection limit, try another");
      return;
    }
    // a bad query token still upgrades, then closes with 1008: browsers see the close code (a refused
    // handshake is an opaque 1006), which tells pulse.js to fetch a fresh token
    Future<Identity> identity = token != null ? node.tokens().verify(token, null)
        : app != null ? Future.succeededFuture(anonymous(app)) : Future.succeededFuture(null);
    identity.onComplete(ar -> {
      String refusal = null;
      Identity who = null;
      if (ar.failed()) {
        refusal = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "token invalid";
      } else {
        who = ar.result();
        if (who != null && !OriginPolicy.allowed(node.config().app(who.app()).origins(), origin)) {
          node.metrics().upgradeRefused("origin");
          ApiError.send(response, 403, ErrorCode.FORBIDDEN, "origin not allowed for app " + who.app());
          return;
        }
      }
      accept(req, who, refusal, origin);
    });
  }

  /**
   * A console socket ({@code ?token=} an admin ticket, see {@link AdminAccess}): same-origin pages only
   * (the console is served by the gateway itself), refused with 1008 like a bad app token otherwise.
   */
  private void upgradeConsole(HttpServerRequest req, String ticket, String origin) {
    if (origin != null && !sameOrigin(origin, req.getHeader("Host"))) {
      node.metrics().upgradeRefused("origin");
      ApiError.send(req.response(), 403, ErrorCode.FORBIDDEN, "origin not allowed for the console");
      return;
    }
    if (node.metrics().connections() >= node.config().limits().maxConnections()) {
      node.metrics().upgradeRefused("limit");
      ApiError.send(req.response(), 503, ErrorCode.LIMIT_EXCEEDED, "node is at its connection limit, try another");
      return;
    }
    AdminAccess access = node.adminAccess();
    Identity who = access == null ? null : access.verifyTicket(ticket, System.currentTimeMillis());
    accept(req, who, who != null ? null : access == null ? "the operator console is disabled" : "console ticket invalid or expired", origin);
  }

  /** Whether a page's Origin is the host it asked (scheme aside: TLS may end at a proxy). */
  static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    return scheme > 0 && origin.substring(scheme + 3).equalsIgnoreCase(host);
  }

  private void accept(HttpServerRequest req, Identity identity, String refusal, String origin) {
    node.metrics().connectionOpened();
    req.toWebSocket().onComplete(ar -> {
      if (ar.failed()) {
        node.metrics().connectionClosed();
        LOG.debug("upgrade failed: {}", ar.cause().toString());
        return;
      }
      DirectWriteQueue.install(ar.result(), req.connection());
      Connection c = new Connection("c-" + node.config().nodeId() + "-" + CONNECTION_IDS.incrementAndGet(),
          ar.result(), node, shard, this, origin);
      connections.add(c);
      c.start(identity, refusal);
    });
  }

  private boolean originAllowed(AppConfig app, String origin) {
    if (app != null) {
      return OriginPolicy.allowed(app.origins(), origin);
    }
    // app not known yet (token in the first frame): any app's origin may open; checked again at auth
    for (AppConfig a : node.config().apps().values()) {
      if (OriginPolicy.allowed(a.origins(), origin)) {
        return true;
      }
    }
    return false;
  }

  private static Identity anonymous(AppConfig app) {
    List<ChannelPattern> read = new ArrayList<>();
    for (String p : app.anonymous()) {
      ChannelPattern compiled = ChannelPattern.compile(p, null);
      if (compiled != null) {
        read.add(compiled);
      }
    }
    return new Identity(app.id(), "anonymous", null, Long.MAX_VALUE, List.copyOf(read), List.of(), List.of(), true);
  }

  void forget(Connection c) {
    if (connections.remove(c)) {
      node.metrics().connectionClosed();
    }
  }

  private void heartbeat() {
    long now = System.nanoTime();
    long silentLimit = 2L * node.config().heartbeatSeconds() * 1_000_000_000L;
    for (Connection c : new ArrayList<>(connections)) {
      c.heartbeat(now, silentLimit);
    }
  }

  /** This verticle's event loop (its sockets live there). */
  public Context context() {
    return context;
  }

  /** The sockets of this event loop, listed on it. */
  public Future<List<ConnectionInfo>> connections() {
    Promise<List<ConnectionInfo>> done = Promise.promise();
    context.runOnContext(v -> {
      List<ConnectionInfo> out = new ArrayList<>(connections.size());
      for (Connection c : connections) {
        out.add(c.info());
      }
      done.complete(out);
    });
    return done.future();
  }

  /** Closes the sockets that match (on this event loop) with the given code; completes with their number. */
  public Future<Integer> disconnect(Predicate<ConnectionInfo> which, short code, String reason) {
    Promise<Integer> done = Promise.promise();
    context.runOnContext(v -> {
      int n = 0;
      for (Connection c : new ArrayList<>(connections)) {
        if (which.test(c.info())) {
          c.close(code, reason);
          n++;
        }
      }
      done.complete(n);
    });
    return done.future();
  }

  /** Closes every socket with 1012 in batches, so clients reconnect elsewhere without a stampede. */
  public Future<Void> closeAll(int batchSize, long pauseMillis) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> closeBatch(batchSize, pauseMillis, done));
    return done.future();
  }

  private void closeBatch(int batchSize, long pauseMillis, Promise<Void> done) {
    List<Connection> batch = new ArrayList<>();
    for (Connection c : connections) {
      if (batch.size() == batchSize) {
        break;
      }
      batch.add(c);
    }
    for (Connection c : batch) {
      c.close(CloseCode.RESTARTING, "node restarting, reconnect");
    }
    if (connections.isEmpty()) {
      done.complete();
    } else {
      vertx.setTimer(Math.max(1, pauseMillis), t -> closeBatch(batchSize, pauseMillis, done));
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(heartbeatTimer);
    for (Connection c : new ArrayList<>(connections)) {
      c.close(CloseCode.RESTARTING, "node restarting, reconnect");
    }
    return server == null ? Future.succeededFuture() : server.close();
  }
}
