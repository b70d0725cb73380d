package dev.apexpulse.api;

import dev.apexpulse.Node;
import dev.apexpulse.auth.DevTokens;
import dev.apexpulse.channel.ErrorCode;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.List;

/**
 * The demo page on {@code /} and, in dev mode only, {@code /dev/token}: tokens for apps whose secret
 * was generated for this start, handed only to loopback callers.
 */
final class DemoPage {
  private DemoPage() {}

  static void mount(Router router, Node node) {
    if (node.config().mode() == PulseConfig.Mode.DEV) {
      router.get("/dev/token").handler(ctx -> devToken(ctx, node));
    }
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false).setIndexPage("index.html"));
  }

  private static void devToken(RoutingContext ctx, Node node) {
    String host = ctx.request().remoteAddress().hostAddress();
    if (!(host.startsWith("127.") || host.equals("0:0:0:0:0:0:0:1") || host.equals("::1"))) {
      ApiError.send(ctx, ErrorCode.FORBIDDEN, "dev tokens are handed out to localhost only");
      return;
    }
    String appId = ctx.request().getParam("app", "100");
    AppConfig app = node.config().app(appId);
    if (app == null || !app.generated()) {
      ApiError.send(ctx, ErrorCode.NOT_FOUND, "no dev secret for app " + appId);
      return;
    }
    String user = ctx.request().getParam("user", "dev");
    int ttl;
    try {
      ttl = Integer.parseInt(ctx.request().getParam("ttl", "3600"));
    } catch (NumberFormatException e) {
      ApiError.send(ctx, ErrorCode.BAD_REQUEST, "ttl must be an integer");
      return;
    }
    String token = new DevTokens(node.vertx(), app).mint(user, ctx.request().getParam("name", user),
        List.of("**"), List.of("**"), Math.max(1, Math.min(ttl, 24 * 3600)));
    HttpApi.json(ctx, 200, new JsonObject().put("token", token).put("app", appId).put("user", user));
  }
}
