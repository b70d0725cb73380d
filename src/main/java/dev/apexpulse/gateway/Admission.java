package dev.apexpulse.gateway;

import dev.apexpulse.api.ApiError;
import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.auth.TokenVerifier;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The checks every new app connection passes before it opens, whatever its transport, in the order
 * docs/PROTOCOL.md gives: not draining, a known anonymous app, an allowed Origin, room under
 * {@code limits.maxConnections}, then the token (whose app's Origin list is checked once it verified).
 * A refusal is answered here, as an HTTP error with the API's JSON body.
 */
final class Admission {
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final TokenVerifier tokens;
  private final BooleanSupplier draining;

  /**
   * The outcome for a connection that may open: its identity (null: none yet, an {@code auth} frame will
   * tell), or the reason its token was refused (the connection opens to say so, then closes with 1008).
   */
  record Admitted(Identity identity, String refusal, String origin) {}

  Admission(PulseConfig config, PulseMetrics metrics, TokenVerifier tokens, BooleanSupplier draining) {
    this.config = config;
    this.metrics = metrics;
    this.tokens = tokens;
    this.draining = draining;
  }

  /** Checks a connection that brings {@code token} or asks for the anonymous {@code appParam} (either may be null). */
  void admit(HttpServerRequest req, String token, String appParam, Consumer<Admitted> open) {
    if (refusedWhileDraining(req)) {
      return;
    }
    String origin = req.getHeader("Origin");
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
    Future<Identity> identity = token != null ? tokens.verify(token, null)
        : app != null ? Future.succeededFuture(Identity.anonymous(app)) : Future.succeededFuture(null);
    identity.onComplete(ar -> {
      if (ar.failed()) {
        open.accept(new Admitted(null, ar.cause() instanceof AuthException ? ar.cause().getMessage() : "token invalid", origin));
        return;
      }
      Identity who = ar.result();
      if (who != null && !OriginPolicy.allowed(config.app(who.app()).origins(), origin)) {
        refuse(req, "origin", 403, ErrorCode.FORBIDDEN, "origin not allowed for app " + who.app());
        return;
      }
      open.accept(new Admitted(who, null, origin));
    });
  }

  boolean refusedWhileDraining(HttpServerRequest req) {
    if (!draining.getAsBoolean()) {
      return false;
    }
    refuse(req, "draining", 503, ErrorCode.UNAVAILABLE, "node is shutting down, connect to another");
    return true;
  }

  boolean atLimit(HttpServerRequest req) {
    if (metrics.connections() < config.limits().maxConnections()) {
      return false;
    }
    refuse(req, "limit", 503, ErrorCode.LIMIT_EXCEEDED, "node is at its connection limit, try another");
    return true;
  }

  void refuse(HttpServerRequest req, String why, int status, ErrorCode code, String message) {
    metrics.upgradeRefused(why);
    ApiError.send(req.response(), status, code, message);
  }

  /** Whether some app, or {@code app} when known, lets pages from {@code origin} connect. */
  boolean originAllowed(AppConfig app, String origin) {
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
}
