package dev.apexpulse.gateway;

import dev.apexpulse.core.ErrorCode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * CORS for the event-stream endpoints: a page on an origin some app allows may open {@code /sse} and POST
 * to {@code /sse/<session>} cross-origin (without credentials: the token is in the URL or a header, the
 * session id in the path). Whether the origin suits the session's own app is decided on the request.
 */
final class SseCors {
  private static final String MAX_AGE_SECONDS = "600";

  private final Admission admission;

  SseCors(Admission admission) {
    this.admission = admission;
  }

  /** Whether the request's Origin (if any) may use the endpoints; else it was answered with 403. */
  boolean allow(HttpServerRequest req) {
    String origin = req.getHeader("Origin");
    if (origin == null) {
      return true;
    }
    if (!admission.originAllowed(null, origin)) {
      admission.refuse(req, "origin", 403, ErrorCode.FORBIDDEN, "origin not allowed");
      return false;
    }
    req.response().putHeader("Access-Control-Allow-Origin", origin).putHeader("Vary", "Origin");
    return true;
  }

  /** Answers a preflight ({@code OPTIONS}) for {@code methods}. */
  void preflight(HttpServerRequest req, String methods) {
    if (!allow(req)) {
      return;
    }
    HttpServerResponse response = req.response();
    response.putHeader("Access-Control-Allow-Methods", methods)
        .putHeader("Access-Control-Allow-Headers", "Content-Type, Authorization")
        .putHeader("Access-Control-Max-Age", MAX_AGE_SECONDS)
        .setStatusCode(204).end();
  }
}
