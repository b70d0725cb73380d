package dev.apexpulse.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bare Vert.x ceiling the gateway is measured against: no auth, no protocol, no history, no
 * limits. A client opens {@code /ws?channel=X} and is subscribed; {@code POST /publish} takes the same
 * body as the gateway's HTTP API ({@code {"messages":[{"channel":…,"data":…}]}}), numbers each message
 * per channel, encodes the same {@code message} frame once and writes those bytes to every socket of
 * the channel, one event loop at a time (as the gateway's shards do).
 *
 * <p>Usage: {@code java -cp pulse-bench.jar dev.apexpulse.bench.BaselineServer PORT [INSTANCES]}
 */
public final class BaselineServer extends VerticleBase {
  private static final List<BaselineServer> LOOPS = new CopyOnWriteArrayList<>();
  private static final ConcurrentHashMap<String, AtomicLong> OFFSETS = new ConcurrentHashMap<>();

  private final int port;
  private final Map<String, List<ServerWebSocket>> channels = new HashMap<>();
  private Context loop;

  BaselineServer(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx();
    Future<?> all = Future.succeededFuture();
    for (int i = 0; i < instances; i++) {
      all = all.compose(v -> vertx.deployVerticle(new BaselineServer(port)));
    }
    all.onSuccess(v -> System.out.println("baseline ready on 127.0.0.1:" + port))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  @Override
  public Future<?> start() {
    loop = context;
    LOOPS.add(this);
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true)
        .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false);
    return vertx.createHttpServer(options)
        .webSocketHandler(this::subscribe)
        .requestHandler(this::request)
        .listen();
  }

  private void subscribe(ServerWebSocket ws) {
    String channel = ws.query() == null ? "" : ws.query().replaceFirst("^.*channel=([^&]*).*$", "$1");
    channels.computeIfAbsent(channel, c -> new ArrayList<>()).add(ws);
    ws.closeHandler(v -> {
      List<ServerWebSocket> list = channels.get(channel);
      if (list != null) {
        list.remove(ws);
      }
    });
    ws.handler(b -> { });
    ws.writeTextMessage("{\"type\":\"subscribed\",\"channel\":\"" + channel + "\",\"offset\":0}");
  }

  private void request(HttpServerRequest req) {
    if (req.path().startsWith("/health")) {
      req.response().putHeader("Content-Type", "application/json").end("{\"status\":\"UP\"}");
      return;
    }
    if (!req.path().equals("/publish")) {
      req.response().setStatusCode(404).end();
      return;
    }
    req.body().onSuccess(body -> {
      JsonObject o = body.toJsonObject();
      JsonArray items = o.containsKey("messages") ? o.getJsonArray("messages") : new JsonArray().add(o);
      JsonArray results = new JsonArray();
      for (int i = 0; i < items.size(); i++) {
        JsonObject item = items.getJsonObject(i);
        String channel = item.getString("channel");
        long offset = OFFSETS.computeIfAbsent(channel, c -> new AtomicLong()).incrementAndGet();
        String frame = "{\"type\":\"message\",\"channel\":\"" + channel + "\",\"offset\":" + offset + ",\"data\":"
            + Json.encode(item.getValue("data")) + "}";
        ByteBuf bytes = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(frame.getBytes(StandardCharsets.UTF_8)));
        for (BaselineServer s : LOOPS) {
          s.loop.runOnContext(v -> s.fanOut(channel, bytes));
        }
        results.add(new JsonObject().put("channel", channel).put("offset", offset));
      }
      req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("results", results).encode());
    });
  }

  private void fanOut(String channel, ByteBuf bytes) {
    List<ServerWebSocket> list = channels.get(channel);
    if (list == null) {
      return;
    }
    for (ServerWebSocket ws : list) {
      if (!ws.isClosed()) {
        ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, bytes.duplicate(), true));
      }
    }
  }
}
