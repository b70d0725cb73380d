package dev.apexpulse.api;

import dev.apexpulse.auth.ApiKeys;
import dev.apexpulse.auth.AuthException;
import dev.apexpulse.auth.Identity;
import dev.apexpulse.auth.TokenVerifier;
import dev.apexpulse.background.Background;
import dev.apexpulse.channel.IdempotencyKey;
import dev.apexpulse.channel.Published;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.core.TokenBucket;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Replay;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.presence.Presence;
import dev.apexpulse.protocol.MessageJson;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The REST API on {@code /api/v1} (publish, channels, presence, history, jobs). Shared by every event loop. */
public final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  public static final int MAX_BATCH = 1000;

  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final TokenVerifier tokens;
  private final Publisher publisher;
  private final History history;
  private final Presence presence;
  private final Background background;
  private final Map<String, TokenBucket> rateLimits = new ConcurrentHashMap<>();

  public HttpApi(PulseConfig config, PulseMetrics metrics, TokenVerifier tokens, Publisher publisher, History history,
                 Presence presence, Background background) {
    this.config = config;
    this.metrics = metrics;
    this.tokens = tokens;
    this.publisher = publisher;
    this.history = history;
    this.presence = presence;
    this.background = background;
  }

  /** Mounts {@code /api/v1/*}; mount the admin API (under /api/v1/admin) first. */
  public void mount(Router router, Vertx vertx) {
    Router api = Router.router(vertx);
    // authenticate before reading a body: an unauthenticated caller cannot make the node buffer one
    api.route("/apps/:app/*").handler(this::authenticate);
    api.route().handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()));
    api.post("/apps/:app/publish").handler(this::publish);
    api.get("/apps/:app/channels").handler(this::channels);
    api.get("/apps/:app/channels/options").handler(this::channelOptions);
    api.get("/apps/:app/presence").handler(this::presence);
    api.get("/apps/:app/history").handler(this::history);
    api.get("/jobs").handler(this::jobs);
    api.route().last().handler(ctx -> ApiError.send(ctx, ErrorCode.NOT_FOUND, "no such endpoint"));
    api.route().failureHandler(this::failure);
    router.route("/api/v1/*").subRouter(api);
  }

  /** API key (constant-time) or a JWT of the app in the URL; the result is stored for the handler. */
  private void authenticate(RoutingContext ctx) {
    String appId = ctx.pathParam("app");
    AppConfig app = config.app(appId);
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
    tokens.verify(credential, appId).onComplete(ar -> {
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
      ApiError.send(ctx, ErrorCode.RATE_LIMITED, "more than " + config.limits().apiRate() + " requests per second for app " + who.app());
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
    List<String> idempotencyKeys = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.get(i);
      String where = items.size() > 1 ? "messages[" + i + "]: " : "";
      ChannelKey key;
      try {
        key = publisher.key(app, item.getValue("channel"));
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
        publisher.checkSize(data);
        idempotencyKeys.add(IdempotencyKey.client(item.getValue("idempotencyKey")));
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
      String idempotencyKey = idempotencyKeys.get(i);
      chain = chain.compose(v -> publisher.publishJson(app, key.channel(), data, who.user(), idempotencyKey))
          .map(p -> {
            results.add(result(p));
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
    ChannelKey key = publisher.key(app, ctx.request().getParam("channel"));
    if (!who.mayPublish(key.channel())) {
      throw new PulseException(ErrorCode.FORBIDDEN, "not allowed to publish to " + key.channel());
    }
    Buffer body = ctx.body().buffer();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    publisher.checkSize(bytes);
    String idempotencyKey = IdempotencyKey.client(ctx.request().getParam("idempotencyKey"));
    publisher.publishBinary(app, key.channel(), bytes, who.user(), idempotencyKey)
        .onSuccess(p -> ApiError.json(ctx, 200, new JsonObject().put("results", new JsonArray().add(result(p)))))
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
    for (AppConfig a : config.apps().values()) {
      if (ApiKeys.matches(a.apiKey(), credential)) {
        app = a.id();
      }
    }
    if (app == null) {
      ApiError.send(ctx, ErrorCode.UNAUTHORIZED, "invalid API key");
      return;
    }
    if (!withinRate(app)) {
      ApiError.send(ctx, ErrorCode.RATE_LIMITED, "more than " + config.limits().apiRate() + " requests per second for app " + app);
      return;
    }
    String id = app;
    background.jobs(app)
        .onSuccess(list -> ApiError.json(ctx, 200, new JsonObject().put("app", id).put("jobs", list)))
        .onFailure(ctx::fail);
  }

  /** One publish's result: no offset on an ephemeral channel. */
  private static JsonObject result(Published p) {
    JsonObject o = new JsonObject().put("channel", p.key().channel());
    return p.stored() ? o.put("offset", p.offset()) : o;
  }

  private void channels(RoutingContext ctx) {
    if (ctx.get("jwt") != null) {
      throw new PulseException(ErrorCode.FORBIDDEN, "listing channels needs the app's API key");
    }
    String app = ctx.pathParam("app");
    presence.channels(app).onSuccess(map -> {
      JsonArray list = new JsonArray();
      map.forEach((channel, count) -> list.add(new JsonObject().put("channel", channel).put("subscribers", count)));
      ApiError.json(ctx, 200, new JsonObject().put("app", app).put("channels", list));
    }).onFailure(ctx::fail);
  }

  private void presence(RoutingContext ctx) {
    ChannelKey key = readableChannel(ctx);
    if (!config.channelOptions(key).presence()) {
      throw new PulseException(ErrorCode.FORBIDDEN, "presence is off for " + key.channel() + " (its channel options)");
    }
    presence.clients(key).onSuccess(clients -> {
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
    int max = config.limits().maxHistoryRequest();
    int limit = intParam(ctx, "limit", max, 1, max);
    String since = ctx.request().getParam("since");
    long offset = since == null ? -1 : longParam(since, "since");
    String epoch = ctx.request().getParam("epoch");
    if (since != null && epoch == null) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "since needs epoch");
    }
    if (config.channelOptions(key).ephemeral()) {
      // nothing is stored: no messages, no position; nothing after since can be served
      ApiError.json(ctx, 200, new JsonObject().put("channel", key.channel()).put("recovered", since == null)
          .put("messages", new JsonArray()));
      return;
    }
    Future<Replay> replay = since == null ? history.recent(key, limit) : history.since(key, offset, epoch, limit);
    replay.onSuccess(r -> {
      JsonArray messages = new JsonArray();
      r.messages().forEach(m -> messages.add(MessageJson.historyEntry(m)));
      ApiError.json(ctx, 200, new JsonObject().put("channel", key.channel()).put("epoch", r.position().epoch())
          .put("offset", r.position().offset()).put("recovered", r.recovered()).put("messages", messages));
    }).onFailure(ctx::fail);
  }

  /** GET /api/v1/apps/{app}/channels/options: the app's channel options as configured, and the defaults. */
  private void channelOptions(RoutingContext ctx) {
    if (ctx.get("jwt") != null) {
      throw new PulseException(ErrorCode.FORBIDDEN, "channel options need the app's API key");
    }
    AppConfig app = config.app(ctx.pathParam("app"));
    ApiError.json(ctx, 200, new JsonObject().put("app", app.id()).put("channels", app.channels().configured())
        .put("defaults", app.channels().defaults().toJson()));
  }

  private ChannelKey readableChannel(RoutingContext ctx) {
    Identity who = ctx.get("identity");
    ChannelKey key = publisher.key(ctx.pathParam("app"), ctx.request().getParam("channel"));
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
      metrics.error(p.code());
      ApiError.send(ctx, p.code(), p.getMessage());
    } else if (ctx.statusCode() == 413) {
      metrics.error(ErrorCode.TOO_LARGE);
      ApiError.send(ctx, ErrorCode.TOO_LARGE, "body larger than " + config.http().maxBodyBytes() + " bytes");
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
        a -> new TokenBucket(config.limits().apiRate(), config.limits().apiBurst(), System.nanoTime()));
    synchronized (bucket) {
      return bucket.take(System.nanoTime());
    }
  }

}
