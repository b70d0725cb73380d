package dev.apexpulse.admin;

import dev.apexpulse.Node;
import dev.apexpulse.api.ApiError;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /console} (the page) and {@code /api/v1/admin/…} (its data and actions), on every node; both
 * answer 404 with a JSON message while no admin key is configured. Every admin request needs
 * {@code Authorization: Bearer <admin key or console session>}; responses are never cached and carry
 * no secret: no app secret, API key, token, admin key or database URL.
 */
public final class AdminApi {
  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
  private static final String DISABLED = "the operator console is disabled: set admin.key (PULSE_ADMIN_KEY) to the same key on every node";
  private static final int MAX_BODY = 16 * 1024;
  /** The page: same-origin scripts, styles and sockets only; no framing. */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private final Node node;

  public AdminApi(Node node) {
    this.node = node;
  }

  /** Mounts the page and the API; call before the {@code /api/v1/*} router. */
  public void mount(Router router, Vertx vertx) {
    StaticHandler assets = StaticHandler.create("pulse-console").setCachingEnabled(false).setDirectoryListing(false);
    router.route("/console").handler(this::enabled).handler(this::pageHeaders)
        .handler(ctx -> ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").sendFile("pulse-console/index.html"));
    router.route("/console/*").handler(this::enabled).handler(this::pageHeaders).handler(assets);
    // the browser client the page uses, also when the demo page is off
    router.get("/js/pulse.js").handler(ctx -> ctx.response().putHeader("Content-Type", "text/javascript; charset=utf-8")
        .putHeader("Cache-Control", "no-cache").sendFile("webroot/js/pulse.js"));

    Router api = Router.router(vertx);
    api.route().handler(this::enabled).handler(ctx -> {
      ctx.response().putHeader("Cache-Control", "no-store");
      ctx.next();
    });
    // key checked before the body is read (each on its own route: Vert.x wants body handlers first on a route)
    api.post("/session").handler(this::keyOnly);
    api.post("/session").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
    api.post("/session").handler(this::session);
    api.route().handler(this::authenticate);
    api.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
    api.post("/ticket").handler(this::ticket);
    api.get("/overview").handler(ctx -> reply(ctx, node.console().freshOverview()));
    api.get("/nodes").handler(ctx -> json(ctx, new JsonObject().put("totals", node.console().totals()).put("nodes", node.console().nodes())));
    api.get("/channels").handler(ctx -> json(ctx, new JsonObject().put("apps", node.console().apps())));
    api.get("/errors").handler(ctx -> json(ctx, node.console().errors()));
    api.get("/series").handler(ctx -> reply(ctx, node.console().series()));
    api.get("/jobs").handler(ctx -> reply(ctx, node.console().jobs().map(a -> new JsonObject().put("jobs", a))));
    api.get("/outbox").handler(ctx -> reply(ctx, node.console().outbox(intParam(ctx, "limit", Console.DEAD_ROWS, 1, 1000))));
    api.get("/connections").handler(ctx -> reply(ctx, node.console().connections(ctx.request().getParam("node"),
        ctx.request().getParam("app"), ctx.request().getParam("user"), intParam(ctx, "limit", 200, 1, NodeService.MAX_LIST))));
    api.post("/connections/:id/disconnect").handler(ctx -> reply(ctx,
        node.console().disconnectConnection(ctx.pathParam("id"), who(ctx))));
    api.post("/users/disconnect").handler(ctx -> {
      JsonObject body = body(ctx);
      String app = body.getValue("app") instanceof String s ? s : null;
      String user = body.getValue("user") instanceof String s ? s : null;
      if (app == null || user == null) {
        throw new PulseException(ErrorCode.BAD_REQUEST, "body needs {\"app\": \"…\", \"user\": \"…\"}");
      }
      reply(ctx, node.console().disconnectUser(app, user, who(ctx)));
    });
    api.post("/nodes/:id/drain").handler(ctx -> reply(ctx, node.console().drain(ctx.pathParam("id"), who(ctx)), 202));
    api.post("/jobs/:name/run").handler(ctx -> reply(ctx, node.console().runJob(ctx.pathParam("name"), who(ctx))));
    api.post("/outbox/dead/:id/requeue").handler(ctx -> {
      long id;
      try {
        id = Long.parseLong(ctx.pathParam("id"));
      } catch (NumberFormatException e) {
        throw new PulseException(ErrorCode.BAD_REQUEST, "the row id must be an integer");
      }
      reply(ctx, node.console().requeue(id, who(ctx)));
    });
    api.route().last().handler(ctx -> ApiError.send(ctx, ErrorCode.NOT_FOUND, "no such admin endpoint"));
    api.route().failureHandler(this::failure);
    router.route("/api/v1/admin/*").subRouter(api);
  }

  private void enabled(RoutingContext ctx) {
    if (node.adminAccess() == null) {
      ApiError.send(ctx, ErrorCode.NOT_FOUND, DISABLED);
    } else if (node.console() == null) {
      ApiError.send(ctx, ErrorCode.UNAVAILABLE, "the operator console is starting, try again");
    } else {
      ctx.next();
    }
  }

  private void pageHeaders(RoutingContext ctx) {
    ctx.response().putHeader("Content-Security-Policy", CSP).putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer").putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Cache-Control", "no-store");
    ctx.next();
  }

  private static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
      return null;
    }
    return header.substring(7).trim();
  }

  /** POST /session needs the admin key itself, never a session. */
  private void keyOnly(RoutingContext ctx) {
    String credential = bearer(ctx);
    if (credential == null || !node.adminAccess().isKey(credential)) {
      refuse(ctx, credential);
      return;
    }
    ctx.next();
  }

  /** POST /session {"operator":"alice"}: a session token for the page, so that it need not keep the key. */
  private void session(RoutingContext ctx) {
    String operator = null;
    try {
      JsonObject body = ctx.body().length() > 0 ? ctx.body().asJsonObject() : null;
      if (body != null && body.getValue("operator") instanceof String s) {
        operator = s;
      }
    } catch (DecodeException | ClassCastException ignored) {
      // no name: "operator"
    }
    long now = System.currentTimeMillis();
    String token = node.adminAccess().session(operator, now);
    AdminAccess.Grant grant = node.adminAccess().verifySession(token, now);
    LOG.info("console: session for '{}' from {} (session {})", grant.operator(), remote(ctx), grant.session());
    json(ctx, new JsonObject().put("token", token).put("operator", grant.operator())
        .put("expiresAt", grant.expiresAtMillis()).put("node", node.config().nodeId()));
  }

  private void authenticate(RoutingContext ctx) {
    String credential = bearer(ctx);
    long now = System.currentTimeMillis();
    if (credential != null && node.adminAccess().isKey(credential)) {
      ctx.put("who", "admin key from " + remote(ctx));
      ctx.put("grant", new AdminAccess.Grant("admin key", "key", now + AdminAccess.SESSION_HOURS * 3600_000L));
      ctx.next();
      return;
    }
    AdminAccess.Grant grant = credential == null ? null : node.adminAccess().verifySession(credential, now);
    if (grant == null) {
      refuse(ctx, credential);
      return;
    }
    ctx.put("who", "'" + grant.operator() + "' (session " + grant.session() + ", " + remote(ctx) + ")");
    ctx.put("grant", grant);
    ctx.next();
  }

  private void refuse(RoutingContext ctx, String credential) {
    LOG.info("console: refused {} {} from {}", ctx.request().method(), ctx.request().path(), remote(ctx));
    ApiError.send(ctx, ErrorCode.UNAUTHORIZED, credential == null
        ? "send Authorization: Bearer <admin key or console session>"
        : "invalid admin key or expired console session");
  }

  private void ticket(RoutingContext ctx) {
    AdminAccess.Grant grant = ctx.get("grant");
    long now = System.currentTimeMillis();
    json(ctx, new JsonObject().put("ticket", node.adminAccess().ticket(grant, now))
        .put("expiresAt", now + AdminAccess.TICKET_SECONDS * 1000L));
  }

  private static String who(RoutingContext ctx) {
    return ctx.get("who");
  }

  private static String remote(RoutingContext ctx) {
    return ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
  }

  private static JsonObject body(RoutingContext ctx) {
    try {
      JsonObject o = ctx.body().asJsonObject();
      if (o != null) {
        return o;
      }
    } catch (DecodeException | ClassCastException ignored) {
      // below
    }
    throw new PulseException(ErrorCode.BAD_REQUEST, "body must be a JSON object");
  }

  private static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
    String v = ctx.request().getParam(name);
    if (v == null) {
      return def;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // below
    }
    throw new PulseException(ErrorCode.BAD_REQUEST, name + " must be an integer between " + min + " and " + max);
  }

  private void reply(RoutingContext ctx, Future<JsonObject> f) {
    reply(ctx, f, 200);
  }

  private void reply(RoutingContext ctx, Future<JsonObject> f, int status) {
    f.onSuccess(body -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode()))
        .onFailure(ctx::fail);
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private void failure(RoutingContext ctx) {
    Throwable e = ctx.failure();
    if (e instanceof PulseException p) {
      ApiError.send(ctx, p.code(), p.getMessage());
    } else if (ctx.statusCode() == 413) {
      ApiError.send(ctx, ErrorCode.TOO_LARGE, "body larger than " + MAX_BODY + " bytes");
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      ApiError.send(ctx, ctx.statusCode(), ErrorCode.BAD_REQUEST, "bad request");
    } else {
      LOG.error("admin {} {} failed", ctx.request().method(), ctx.request().path(), e);
      ApiError.send(ctx, ErrorCode.UNAVAILABLE, "temporarily unavailable");
    }
  }
}
