package dev.apexpulse.demo;

import dev.apexpulse.Node;
import dev.apexpulse.api.ApiError;
import dev.apexpulse.auth.DevTokens;
import dev.apexpulse.auth.OriginPolicy;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.demo.DemoOrders;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * The demo pages on {@code /} and, in dev mode only, answered to loopback callers only:
 * {@code /dev/token} (tokens for apps whose secret was generated for this start; readable cross-origin
 * by pages the app's Origin allow-list accepts, for a local page's tokenProvider) and
 * {@code /dev/orders} (the demo orders table, see {@link DemoOrders}).
 */
public final class DemoPage {
  private DemoPage() {}

  public static void mount(Router router, Node node, DemoOrders orders) {
    if (node.config().mode() == PulseConfig.Mode.DEV) {
      router.get("/dev/token").handler(ctx -> devToken(ctx, node));
      router.route("/dev/orders*").handler(DemoPage::loopbackOnly);
      router.post("/dev/orders*").handler(BodyHandler.create(false).setBodyLimit(4096));
      router.get("/dev/orders").handler(ctx -> {
        String owner = ctx.request().getParam("owner");
        int limit = Math.max(1, Math.min(100, intParam(ctx, "limit", 20)));
        reply(ctx, orders.list(owner == null || owner.isEmpty() ? null : owner, limit).map(list -> new JsonObject().put("orders", list)));
      });
      router.post("/dev/orders").handler(ctx -> {
        JsonObject body = bodyOf(ctx);
        reply(ctx, orders.create(body.getValue("owner") instanceof String s ? s : null).map(o -> new JsonObject().put("order", o)));
      });
      router.post("/dev/orders/random").handler(ctx -> reply(ctx, orders.advanceAny().map(o -> new JsonObject().put("order", o))));
      router.post("/dev/orders/:id/advance").handler(ctx -> {
        long id;
        try {
          id = Long.parseLong(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
          ApiError.send(ctx, ErrorCode.BAD_REQUEST, "order id must be a number");
          return;
        }
        reply(ctx, orders.advance(id).map(o -> new JsonObject().put("order", o)));
      });
    }
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false).setIndexPage("index.html"));
  }

  private static boolean isLoopback(RoutingContext ctx) {
    String host = ctx.request().remoteAddress().hostAddress();
    return host.startsWith("127.") || host.equals("0:0:0:0:0:0:0:1") || host.equals("::1");
  }

  private static void loopbackOnly(RoutingContext ctx) {
    if (isLoopback(ctx)) {
      ctx.next();
    } else {
      ApiError.send(ctx, ErrorCode.FORBIDDEN, "the demo endpoints answer localhost only");
    }
  }

  private static int intParam(RoutingContext ctx, String name, int def) {
    try {
      return Integer.parseInt(ctx.request().getParam(name, String.valueOf(def)));
    } catch (NumberFormatException e) {
      return def;
    }
  }

  private static JsonObject bodyOf(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      return body == null ? new JsonObject() : body;
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  private static void reply(RoutingContext ctx, Future<JsonObject> result) {
    result.onSuccess(json -> ApiError.json(ctx, 200, json)).onFailure(e -> {
      if (e instanceof PulseException p) {
        ApiError.send(ctx, p.code(), p.getMessage());
      } else {
        ApiError.send(ctx, ErrorCode.UNAVAILABLE, "demo orders: " + e.getMessage());
      }
    });
  }

  private static void devToken(RoutingContext ctx, Node node) {
    if (!isLoopback(ctx)) {
      ApiError.send(ctx, ErrorCode.FORBIDDEN, "dev tokens are handed out to localhost only");
      return;
    }
    String appId = ctx.request().getParam("app", "100");
    AppConfig app = node.config().app(appId);
    if (app == null || !app.generated()) {
      ApiError.send(ctx, ErrorCode.NOT_FOUND, "no dev secret for app " + appId);
      return;
    }
    // a page on another local origin (e.g. http://127.0.0.1:8000) may read the answer if it may open the
    // socket; never a remote site, even under an allow-list of "*": the token grants every channel
    String origin = ctx.request().getHeader("Origin");
    ctx.response().putHeader("Vary", "Origin");
    if (origin != null && loopbackOrigin(origin) && OriginPolicy.allowed(app.origins(), origin)) {
      ctx.response().putHeader("Access-Control-Allow-Origin", origin);
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
    ApiError.json(ctx, 200, new JsonObject().put("token", token).put("app", appId).put("user", user));
  }

  /** An http(s) origin on this machine's loopback names (not "null", not a remote host). */
  static boolean loopbackOrigin(String origin) {
    try {
      URI uri = new URI(origin);
      String host = uri.getHost();
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && host != null
          && (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]"));
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
