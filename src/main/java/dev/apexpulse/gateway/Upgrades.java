package dev.apexpulse.gateway;

import dev.apexpulse.admin.ConsoleGate;
import dev.apexpulse.api.ApiError;
import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.session.Services;
import dev.apexpulse.session.Session;
import dev.apexpulse.transport.websocket.DirectWriteQueue;
import dev.apexpulse.transport.websocket.WebSocketTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Decides on WebSocket upgrades, for every event loop of the node: {@code /ws} opens an app session
 * ({@code ?token=}, {@code ?app=} for anonymous read-only apps, or an {@code auth} frame later),
 * {@code /console/ws} an operator console session. Refusals before the upgrade are HTTP errors with a
 * JSON body; a bad token still upgrades and then closes with 1008, because browsers see the close code
 * (a refused handshake is an opaque 1006), which tells pulse.js to fetch a fresh token.
 */
final class Upgrades {
  private static final Logger LOG = LoggerFactory.getLogger(Upgrades.class);
  private static final AtomicLong IDS = new AtomicLong();

  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final Services services;
  private final ConsoleGate console;
  private final BooleanSupplier draining;

  Upgrades(PulseConfig config, PulseMetrics metrics, Services services, ConsoleGate console, BooleanSupplier draining) {
    this.config = config;
    this.metrics = metrics;
    this.services = services;
    this.console = console;
    this.draining = draining;
  }

  /** An app socket on {@code /ws}. */
  void app(HttpServerRequest req, Shard shard, Connections connections) {
    if (!isUpgrade(req) || refusedWhileDraining(req)) {
      return;
    }
    String origin = req.getHeader("Origin");
    String token = req.getParam("token");
    String appParam = req.getParam("app");
    AppConfig app = token == null && appParam != null ? config.app(appParam) : null;
    if (token == null && appParam != null && (app == null || app.anonymous().isEmpty())) {
      refuse(req, "anonymous", 401, ErrorCode.UNAUTHORIZED, "app " + appParam + " allows no anonymous connections");
      return;
    }
    if (!originAllowed(app, origin)) {
      refuse(req, "origin", 403, ErrorCode.FORBIDDEN, "origin not allowed");
      return;
    }
    if (atLimit(req)) {
      return;
    }
    Future<Identity> identity = token != null ? services.tokens().verify(token, null)
        : app != null ? Future.succeededFuture(Identity.anonymous(app)) : Future.succeededFuture(null);
    identity.onComplete(ar -> {
      String refusal = null;
      Identity who = null;
      if (ar.failed()) {
        refusal = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "token invalid";
      } else {
        who = ar.result();
        if (who != null && !OriginPolicy.allowed(config.app(who.app()).origins(), origin)) {
          refuse(req, "origin", 403, ErrorCode.FORBIDDEN, "origin not allowed for app " + who.app());
          return;
        }
      }
      Identity verified = who;
      String refused = refusal;
      accept(req, shard, connections, (id, transport) -> {
        Session session = new Session(id, transport, shard, services, origin);
        transport.start(session);
        session.start(verified, refused);
      });
    });
  }

  /**
   * A console socket on {@code /console/ws?token=<ticket>}: same-origin pages only (the console is served
   * by the gateway itself); a bad ticket is refused with 1008 like a bad app token.
   */
  void console(HttpServerRequest req, Shard shard, Connections connections, Context context) {
    if (!isUpgrade(req) || refusedWhileDraining(req)) {
      return;
    }
    String origin = req.getHeader("Origin");
    if (origin != null && !sameOrigin(origin, req.getHeader("Host"))) {
      refuse(req, "origin", 403, ErrorCode.FORBIDDEN, "origin not allowed for the console");
      return;
    }
    if (atLimit(req)) {
      return;
    }
    String ticket = req.getParam("token");
    accept(req, shard, connections, (id, transport) -> console.open(id, ticket, transport, transport::start, context));
  }

  private boolean isUpgrade(HttpServerRequest req) {
    if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
      return true;
    }
    ApiError.send(req.response(), 400, ErrorCode.BAD_REQUEST, req.path() + " expects a WebSocket upgrade");
    return false;
  }

  private boolean refusedWhileDraining(HttpServerRequest req) {
    if (!draining.getAsBoolean()) {
      return false;
    }
    refuse(req, "draining", 503, ErrorCode.UNAVAILABLE, "node is shutting down, connect to another");
    return true;
  }

  private boolean atLimit(HttpServerRequest req) {
    if (metrics.connections() < config.limits().maxConnections()) {
      return false;
    }
    refuse(req, "limit", 503, ErrorCode.LIMIT_EXCEEDED, "node is at its connection limit, try another");
    return true;
  }

  private void refuse(HttpServerRequest req, String why, int status, ErrorCode code, String message) {
    metrics.upgradeRefused(why);
    HttpServerResponse response = req.response();
    ApiError.send(response, status, code, message);
  }

  /** Whether a page's Origin is the host it asked (scheme aside: TLS may end at a proxy). */
  static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    return scheme > 0 && origin.substring(scheme + 3).equalsIgnoreCase(host);
  }

  private boolean originAllowed(AppConfig app, String origin) {
    if (app != null) {
      return OriginPolicy.allowed(app.origins(), origin);
    }
    // app not known yet (token in the first frame): any app's origin may open; checked again at auth
    for (AppConfig a : config.apps().values()) {
      if (OriginPolicy.allowed(a.origins(), origin)) {
        return true;
      }
    }
    return false;
  }

  /** Upgrades, then hands the socket's transport to the endpoint the caller makes for it. */
  private void accept(HttpServerRequest req, Shard shard, Connections connections,
                      BiConsumer<String, WebSocketTransport> start) {
    metrics.connectionOpened();
    req.toWebSocket().onComplete(ar -> {
      if (ar.failed()) {
        metrics.connectionClosed();
        LOG.debug("upgrade failed: {}", ar.cause().toString());
        return;
      }
      ServerWebSocket ws = ar.result();
      DirectWriteQueue.install(ws, req.connection());
      WebSocketTransport transport = new WebSocketTransport(ws, shard, config.limits().maxFrameBytes(),
          config.limits().maxQueuedBytes(), config.http().compression(), connections::ended);
      connections.add(transport);
      start.accept("c-" + config.nodeId() + "-" + IDS.incrementAndGet(), transport);
    });
  }
}
