package dev.apexpulse.api;

import dev.apexpulse.Node;
import dev.apexpulse.admin.AdminApi;
import dev.apexpulse.auth.ApiKeys;
import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.TokenBucket;
import dev.apexpulse.demo.DemoOrders;
import dev.apexpulse.demo.DemoPage;
import dev.apexpulse.history.Replay;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The HTTP side of a node: REST API, health, metrics, the demo page. Shared by every event loop. */
public final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  public static final int MAX_BATCH = 1000;

  private final Node node;
  private final Map<String, TokenBucket> rateLimits = new ConcurrentHashMap<>();
  private final DemoOrders demoOrders;

  public HttpApi(Node node) {
    this.node = node;
    // one per node, shared by the event loops; off unless dev mode, demo pages and an H2 db.url
    this.demoOrders = node.config().http().demo() ? DemoOrders.start(node) : DemoOrders.off("the demo is off");
  }

  public Router router(Vertx vertx) {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> ApiError.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(node.metrics().registry()));
    // before /api/v1/*, which would answer its own 404 for /api/v1/admin/…
    new AdminApi(node).mount(router, vertx);

    Router api = Router.router(vertx);
    // authenticate before reading a body: an unauthenticated caller cannot make the node buffer one
    api.route("/apps/:app/*").handler(this::authenticate);
    api.route().handler(BodyHandler.create(false).setBodyLimit(node.config().http().maxBodyBytes()));
    api.post("/apps/:app/publish").handler(this::publish);
    api.get("/apps/:app/channels").handler(this::channels);
    api.get("/apps/:app/presence").handler(this::presence);
    api.get("/apps/:app/history").handler(this::history);
    api.get("/jobs").handler(this::jobs);
    api.route().last().handler(ctx -> ApiError.send(ctx, ErrorCode.NOT_FOUND, "no such endpoint"));
    api.route().failureHandler(this::failure);
    router.route("/api/v1/*").subRouter(api);

    if (node.config().http().demo()) {
      DemoPage.mount(router, node, demoOrders);
    }
    return router;
  }

  private void ready(RoutingContext ctx) {
    JsonObject body = new JsonObject().put("node", node.config().nodeId());
    if (node.ready()) {
      // with a database configured: "db":"UP"|"DOWN", and 503 while it is down (db.readiness)
      node.background().ready(body).onComplete(ok -> {
        boolean up = ok.succeeded() && ok.result();
        ApiError.json(ctx, up ? 200 : 503, body.put("status", up ? "UP" : "DOWN"));
      });
    } else {
      ApiError.json(ctx, 503, body.put("status", node.draining() ? "DRAINING" : "STARTING"));
    }
  }

  /** API key (constant-time) or a JWT of the app in the URL; the result is stored for the handler. */
  private void authenticate(RoutingContext ctx) {
    String appId = ctx.pathParam("app");
    AppConfig app = node.config().app(appId);
    if (app == null) {
      ApiError.send(ctx, ErrorCode.NOT_FOUND, "unknown app " + appId);
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
      ApiError.send(ctx, ErrorCode.UNAUTHORIZED, "send Authorization: Bearer <API key or token>");
      return;
    }
    String credential = header.substring(7).trim();
    if (ApiKeys.matches(app.apiKey(), credential)) {
      admit(ctx, Identity.apiKey(appId));
      return;
    }
    if (credential.chars().filter(c -> c == '.').count() != 2) {
      ApiError.send(ctx, ErrorCode.UNAUTHORIZED, "invalid API key");
      return;
    }
    node.tokens().verify(credential, appId).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.put("jwt", true);
        admit(ctx, ar.result());
      } else {
        String why = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "token invalid";
        ApiError.send(ctx, ErrorCode.UNAUTHORIZED, why);
      }
    });
  }

  /** Charges the app's request budget only for authenticated callers: bogus keys cannot spend it. */
  private void admit(RoutingContext ctx, Identity who) {
    if (!withinRate(who.app())) {
      ApiError.send(ctx, ErrorCode.RATE_LIMITED, "more than " + node.config().limits().apiRate() + " requests per second for app " + who.app());
      return;
    }
    ctx.put("identity", who);
    ctx.next();
  }

  private void publish(RoutingContext ctx) {
    Identity who = ctx.get("identity");
    String app = ctx.pathParam("app");
    if (isOctetStream(ctx.request().getHeader("Content-Type"))) {
      publishBinary(ctx, who, app);
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "body must be a JSON object");
    }
    if (body == null) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "body must be a JSON object");
    }
    List<JsonObject> items = new ArrayList<>();
    if (body.containsKey("messages")) {
      if (!(body.getValue("messages") instanceof JsonArray list) || list.isEmpty()) {
        throw new PulseException(ErrorCode.BAD_REQUEST, "messages must be a non-empty array");
      }
      if (list.size() > MAX_BATCH) {
        throw new PulseException(ErrorCode.TOO_LARGE, "at most " + MAX_BATCH + " messages per request");
      }
      for (int i = 0; i < list.size(); i++) {
        if (!(list.getValue(i) instanceof JsonObject item)) {
          throw new PulseException(ErrorCode.BAD_REQUEST, "messages[" + i + "] must be an object");
        }
        items.add(item);
      }
    } else {
      items.add(body);
    }
    // validate everything first: a batch is published whole or refused whole
    List<ChannelKey> keys = new ArrayList<>();
    List<String> payloads = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.get(i);
      String where = items.size() > 1 ? "messages[" + i + "]: " : "";
      ChannelKey key;
      try {
        key = node.publisher().key(app, item.getValue("channel"));
      } catch (PulseException e) {
        throw new PulseException(e.code(), where + e.getMessage());
      }
      if (!who.mayPublish(key.channel())) {
        throw new PulseException(ErrorCode.FORBIDDEN, where + "not allowed to publish to " + key.channel());
      }
      if (!item.containsKey("data")) {
        throw new PulseException(ErrorCode.BAD_REQUEST, where + "data is missing");
      }
      String data = Json.encode(item.getValue("data"));
      try {
        node.publisher().checkSize(data);
      } catch (PulseException e) {
        throw new PulseException(e.code(), where + e.getMessage());
      }
      keys.add(key);
      payloads.add(data);
    }
    JsonArray results = new JsonArray();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < keys.size(); i++) {
      ChannelKey key = keys.get(i);
      String data = payloads.get(i);
      chain = chain.compose(v -> node.publisher().publishJson(app, key.channel(), data, who.user()))
          .map(m -> {
            results.add(result(m));
            return null;
          });
    }
    chain.onSuccess(v -> ApiError.json(ctx, 200, new JsonObject().put("results", results))).onFailure(ctx::fail);
  }

  static boolean isOctetStream(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().equalsIgnoreCase("application/octet-stream");
  }

  /** {@code Content-Type: application/octet-stream} and {@code ?channel=}: the body is one binary message. */
  private void publishBinary(RoutingContext ctx, Identity who, String app) {
    ChannelKey key = node.publisher().key(app, ctx.request().getParam("channel"));
    if (!who.mayPublish(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to publish to " + key.channel());
    }
    Buffer body = ctx.body().buffer();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    node.publisher().checkSize(bytes);
    node.publisher().publishBinary(app, key.channel(), bytes, who.user())
        .onSuccess(m -> ApiError.json(ctx, 200, new JsonObject().put("results", new JsonArray().add(result(m)))))
        .onFailure(ctx::fail);
  }

  /** GET /api/v1/jobs: the jobs of the app whose API key is presented (only an API key names the app). */
  private void jobs(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
      ApiError.send(ctx, ErrorCode.UNAUTHORIZED, "send Authorization: Bearer <app API key>");
      return;
    }
    String credential = header.substring(7).trim();
    String app = null;
    for (AppConfig a : node.config().apps().values()) {
      if (ApiKeys.matches(a.apiKey(), credential)) {
        app = a.id();
      }
    }
    if (app == null) {
      ApiError.send(ctx, ErrorCode.UNAUTHORIZED, "invalid API key");
      return;
    }
    if (!withinRate(app)) {
      ApiError.send(ctx, ErrorCode.RATE_LIMITED, "more than " + node.config().limits().apiRate() + " requests per second for app " + app);
      return;
    }
    String id = app;
    node.background().jobs(app)
        .onSuccess(list -> ApiError.json(ctx, 200, new JsonObject().put("app", id).put("jobs", list)))
        .onFailure(ctx::fail);
  }

  private static JsonObject result(Message m) {
    return new JsonObject().put("channel", m.key().channel()).put("offset", m.offset());
  }

  private void channels(RoutingContext ctx) {
    if (ctx.get("jwt") != null) {
      throw new PulseException(ErrorCode.FORBIDDEN, "listing channels needs the app's API key");
    }
    String app = ctx.pathParam("app");
    node.presence().channels(app).onSuccess(map -> {
      JsonArray list = new JsonArray();
      map.forEach((channel, count) -> list.add(new JsonObject().put("channel", channel).put("subscribers", count)));
      ApiError.json(ctx, 200, new JsonObject().put("app", app).put("channels", list));
    }).onFailure(ctx::fail);
  }

  private void presence(RoutingContext ctx) {
    ChannelKey key = readableChannel(ctx);
    node.presence().clients(key).onSuccess(clients -> {
      JsonArray list = new JsonArray();
      var seen = new HashSet<String>();
      int connections = clients.size();
      clients.forEach(c -> {
        if (c.user() != null && seen.add(c.user())) {
          JsonObject o = new JsonObject().put("user", c.user());
          if (c.name() != null) {
            o.put("name", c.name());
          }
          list.add(o);
        }
      });
      ApiError.json(ctx, 200, new JsonObject().put("channel", key.channel()).put("count", list.size())
          .put("connections", connections).put("clients", list));
    }).onFailure(ctx::fail);
  }

  private void history(RoutingContext ctx) {
    ChannelKey key = readableChannel(ctx);
    int max = node.config().limits().maxHistoryRequest();
    int limit = intParam(ctx, "limit", max, 1, max);
    String since = ctx.request().getParam("since");
    Future<Replay> replay;
    if (since == null) {
      replay = node.history().recent(key, limit);
    } else {
      long offset = longParam(since, "since");
      String epoch = ctx.request().getParam("epoch");
      if (epoch == null) {
        throw new PulseException(ErrorCode.BAD_REQUEST, "since needs epoch");
      }
      replay = node.history().since(key, offset, epoch, limit);
    }
    replay.onSuccess(r -> {
      JsonArray messages = new JsonArray();
      for (Message m : r.messages()) {
        JsonObject o = new JsonObject().put("offset", m.offset());
        if (m.binary()) {
          o.put("binary", true).put("data", Base64.getEncoder().encodeToString(m.bytes()));
        } else {
          o.put("data", Json.decodeValue(m.data()));
        }
        if (m.from() != null) {
          o.put("from", m.from());
        }
        messages.add(o);
      }
      ApiError.json(ctx, 200, new JsonObject().put("channel", key.channel()).put("epoch", r.position().epoch())
          .put("offset", r.position().offset()).put("recovered", r.recovered()).put("messages", messages));
    }).onFailure(ctx::fail);
  }

  private ChannelKey readableChannel(RoutingContext ctx) {
    Identity who = ctx.get("identity");
    ChannelKey key = node.publisher().key(ctx.pathParam("app"), ctx.request().getParam("channel"));
    if (!who.maySubscribe(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to read " + key.channel());
    }
    return key;
  }

  private static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
    String v = ctx.request().getParam(name);
    if (v == null) {
      return def;
    }
    long n = longParam(v, name);
    if (n < min || n > max) {
      throw new PulseException(ErrorCode.BAD_REQUEST, name + " must be between " + min + " and " + max);
    }
    return (int) n;
  }

  private static long longParam(String v, String name) {
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new PulseException(ErrorCode.BAD_REQUEST, name + " must be a non-negative integer");
    }
  }

  private void failure(RoutingContext ctx) {
    Throwable e = ctx.failure();
    if (e instanceof PulseException p) {
      node.metrics().error(p.code());
      ApiError.send(ctx, p.code(), p.getMessage());
    } else if (ctx.statusCode() == 413) {
      node.metrics().error(ErrorCode.TOO_LARGE);
      ApiError.send(ctx, ErrorCode.TOO_LARGE, "body larger than " + node.config().http().maxBodyBytes() + " bytes");
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      ApiError.send(ctx, ctx.statusCode(), ErrorCode.BAD_REQUEST, "bad request");
    } else {
      LOG.error("HTTP {} {} failed", ctx.request().method(), ctx.request().path(), e);
      ApiError.send(ctx, ErrorCode.UNAVAILABLE, "temporarily unavailable");
    }
  }

  /** Per-app request rate; the bucket is shared by the event loops, hence the lock. */
  private boolean withinRate(String app) {
    TokenBucket bucket = rateLimits.computeIfAbsent(app,
        a -> new TokenBucket(node.config().limits().apiRate(), node.config().limits().apiBurst(), System.nanoTime()));
    synchronized (bucket) {
      return bucket.take(System.nanoTime());
    }
  }

}
