package dev.apexpulse.session;

import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.core.CloseCode;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.protocol.ClientFrame;

/**
 * A session's {@code auth} frames: the first token of a connection opened without one, or a refresh of
 * the current token (same app and user), each checked against its app's Origin allow-list.
 */
final class Authentication {
  private final Services services;
  private final Session session;
  private final String origin;

  Authentication(Services services, Session session, String origin) {
    this.services = services;
    this.session = session;
    this.origin = origin;
  }

  void onAuth(Identity identity, ClientFrame frame) {
    if (!(frame.body().getValue("token") instanceof String token)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "auth needs a string token");
    }
    if (identity != null && identity.anonymous()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "an anonymous connection cannot authenticate: reconnect with ?token=");
    }
    Long requestId = frame.id();
    services.tokens().verify(token, null).onComplete(ar -> {
      if (session.closed()) {
        return;
      }
      if (ar.failed()) {
        String reason = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "token invalid";
        session.fail(requestId, ErrorCode.UNAUTHORIZED, reason);
        if (session.identity() == null) {
          session.close(CloseCode.POLICY, reason);
        }
        return;
      }
      Identity fresh = ar.result();
      Identity current = session.identity();
      if (current != null && (!current.app().equals(fresh.app()) || !fresh.user().equals(current.user()))) {
        session.fail(requestId, ErrorCode.FORBIDDEN, "a refreshed token must be for the same app and user");
        return;
      }
      AppConfig app = services.config().app(fresh.app());
      if (!OriginPolicy.allowed(app.origins(), origin)) {
        services.metrics().upgradeRefused("origin");
        session.fail(requestId, ErrorCode.FORBIDDEN, "origin not allowed for app " + app.id());
        session.close(CloseCode.POLICY, "origin not allowed");
        return;
      }
      session.authenticated(fresh, requestId);
    });
  }
}
