package dev.apexpulse.session;

import dev.apexpulse.core.CloseCode;
import io.vertx.core.Vertx;

/**
 * The two clocks of a session: the time an unauthenticated connection has to send its {@code auth}
 * frame, and the expiry of its token (moved by every refresh). Either running out closes it with 1008.
 */
final class Deadlines {
  /** Vert.x timers take at most this; a later expiry is re-armed when it fires. */
  private static final long MAX_TIMER_MILLIS = 24L * 3600 * 1000;

  private final Vertx vertx;
  private final Session session;
  private long authTimer = -1;
  private long expiryTimer = -1;

  Deadlines(Vertx vertx, Session session) {
    this.vertx = vertx;
    this.session = session;
  }

  void authWithin(long millis) {
    authTimer = vertx.setTimer(millis, t -> {
      authTimer = -1;
      session.close(CloseCode.POLICY, "authentication timeout");
    });
  }

  /** The connection is authenticated until {@code expiresAtMillis} ({@link Long#MAX_VALUE}: for ever). */
  void authenticatedUntil(long expiresAtMillis) {
    cancel();
    if (expiresAtMillis == Long.MAX_VALUE) {
      return;
    }
    long left = expiresAtMillis - System.currentTimeMillis();
    if (left <= 0) {
      session.close(CloseCode.POLICY, "token expired");
      return;
    }
    expiryTimer = vertx.setTimer(Math.min(left, MAX_TIMER_MILLIS), t -> {
      expiryTimer = -1;
      authenticatedUntil(expiresAtMillis);
    });
  }

  void cancel() {
    if (authTimer >= 0) {
      vertx.cancelTimer(authTimer);
      authTimer = -1;
    }
    if (expiryTimer >= 0) {
      vertx.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
  }
}
