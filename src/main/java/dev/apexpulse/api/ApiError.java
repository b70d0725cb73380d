package dev.apexpulse.api;

import dev.apexpulse.channel.ErrorCode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The HTTP API's error body: {@code {"error":{"code":"…","message":"…"}}}. */
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
}
