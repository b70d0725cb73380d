package dev.apexpulse.gateway;

import dev.apexpulse.admin.ConsoleGate;
import dev.apexpulse.api.ApiError;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.session.Services;
import dev.apexpulse.session.Session;
import dev.apexpulse.transport.DirectWriteQueue;
import dev.apexpulse.transport.websocket.WebSocketTransport;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BiConsumer;

/**
 * Decides on WebSocket upgrades, for every event loop of the node: {@code /ws} opens an app session
 * ({@code ?token=}, {@code ?app=} for anonymous read-only apps, or an {@code auth} frame later),
 * {@code /console/ws} an operator console session. Refusals before the upgrade are HTTP errors with a
 * JSON body; a bad token still upgrades and then closes with 1008, because browsers see the close code
 * (a refused handshake is an opaque 1006), which tells pulse.js to fetch a fresh token.
 */
final class Upgrades {
  private static final Logger LOG = LoggerFactory.getLogger(Upgrades.class);

  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final Services services;
  private final ConsoleGate console;
  private final Admission admission;
  private final ConnectionIds ids;

  Upgrades(PulseConfig config, PulseMetrics metrics, Services services, ConsoleGate console, Admission admission,
           ConnectionIds ids) {
    this.config = config;
    this.metrics = metrics;
    this.services = services;
    this.console = console;
    this.admission = admission;
    this.ids = ids;
  }

  /** An app socket on {@code /ws}. */
  void app(HttpServerRequest req, Shard shard, Connections connections) {
    if (!isUpgrade(req)) {
      return;
    }
    admission.admit(req, req.getParam("token"), req.getParam("app"), admitted ->
        accept(req, shard, connections, (id, transport) -> {
          Session session = new Session(id, transport, shard, services, admitted.origin());
          transport.start(session);
          session.start(admitted.identity(), admitted.refusal());
        }));
  }

  /**
   * A console socket on {@code /console/ws?token=<ticket>}: same-origin pages only (the console is served
   * by the gateway itself); a bad ticket is refused with 1008 like a bad app token.
   */
  void console(HttpServerRequest req, Shard shard, Connections connections, Context context) {
    if (!isUpgrade(req) || admission.refusedWhileDraining(req)) {
      return;
    }
    String origin = req.getHeader("Origin");
    if (origin != null && !sameOrigin(origin, req.getHeader("Host"))) {
      admission.refuse(req, "origin", 403, ErrorCode.FORBIDDEN, "origin not allowed for the console");
      return;
    }
    if (admission.atLimit(req)) {
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

  /** Whether a page's Origin is the host it asked (scheme aside: TLS may end at a proxy). */
  static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    return scheme > 0 && origin.substring(scheme + 3).equalsIgnoreCase(host);
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
      start.accept(ids.next(), transport);
    });
  }
}
