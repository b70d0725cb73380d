package dev.apexpulse.api;

import dev.apexpulse.core.ErrorCode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The HTTP API's bodies: errors as {@code {"error":{"code":"…","message":"…"}}}, and plain JSON replies. */
public final class ApiError {
  private ApiError() {}

  public static void send(RoutingContext ctx, int status, ErrorCode code, String message) {
    send(ctx.response(), status, code, message);
  }

  public static void send(HttpServerResponse response, int status, ErrorCode code, String message) {
    if (response.ended()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code.wire()).put("message", message)).encode());
  }

  public static void send(RoutingContext ctx, ErrorCode code, String message) {
    send(ctx, code.httpStatus(), code, message);
  }

  /** A JSON success body (the counterpart of the error body). */
  public static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
