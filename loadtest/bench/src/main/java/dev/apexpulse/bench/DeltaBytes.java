package dev.apexpulse.bench;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Bytes on the wire per delivery of a dashboard push, with and without delta compression: two
 * subscribers of one channel of an app that sends Fossil deltas, one asking for deltas and one not,
 * get the same pushes of a 5 KB dashboard with one number changed each. Each counts the WebSocket
 * frames of its messages, header and payload.
 */
final class DeltaBytes {
  private static final long WAIT_MS = 10_000;

  /**
   * What the two subscribers got: bytes of all message frames of each, and of the delta subscriber's
   * frames that came as deltas (the others, its first push at least, came in full).
   */
  record Result(int pushes, int dashboardBytes, long fullBytes, long deltaBytes, long deltaFrames, long deltaFrameBytes) {
    double ratio() {
      return (double) deltaBytes / fullBytes;
    }
  }

  private DeltaBytes() {}

  /** One subscriber: counts the bytes and offsets of message frames. */
  private static final class Counter {
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong last = new AtomicLong();
    final AtomicLong deltas = new AtomicLong();
    final AtomicLong deltaBytes = new AtomicLong();

    void onText(String text) {
      if (!text.startsWith("{\"type\":\"message\"")) {
        return;
      }
      int length = text.getBytes(StandardCharsets.UTF_8).length;
      int frame = length + (length < 126 ? 2 : length <= 0xFFFF ? 4 : 10); // server frames are unmasked
      bytes.addAndGet(frame);
      if (text.contains(",\"delta\":\"")) {
        deltas.incrementAndGet();
        deltaBytes.addAndGet(frame);
      }
      JsonObject f = new JsonObject(text);
      last.set(f.getLong("offset"));
    }
  }

  /**
   * @param wsUrl   the gateway's socket URL with a token of the delta app
   * @param publish publishes one message's data to the channel and answers its offset
   */
  static Result run(Vertx vertx, String wsUrl, String channel, Function<JsonObject, Long> publish, int pushes) throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setTryUsePerMessageCompression(false).setTryUsePerFrameCompression(false).setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
    Counter full = new Counter();
    Counter delta = new Counter();
    try {
      subscribe(client, wsUrl, channel, false, full);
      subscribe(client, wsUrl, channel, true, delta);
      Random r = new Random(42);
      JsonObject d = dashboard(r);
      int size = d.encode().getBytes(StandardCharsets.UTF_8).length;
      for (int i = 0; i < pushes; i++) {
        long offset = publish.apply(d);
        long until = System.currentTimeMillis() + WAIT_MS;
        while (full.last.get() < offset || delta.last.get() < offset) {
          if (System.currentTimeMillis() > until) {
            throw new IllegalStateException("delta: push " + offset + " not delivered to both subscribers within " + WAIT_MS + " ms");
          }
          Thread.sleep(1);
        }
        d = d.copy();
        d.getJsonArray("rows").getJsonObject(r.nextInt(50)).put("orders", 1000 + r.nextInt(100_000));
      }
      return new Result(pushes, size, full.bytes.get(), delta.bytes.get(), delta.deltas.get(), delta.deltaBytes.get());
    } finally {
      client.close();
    }
  }

  private static void subscribe(WebSocketClient client, String wsUrl, String channel, boolean deltas, Counter counter) throws Exception {
    Promise<Void> subscribed = Promise.promise();
    WebSocket ws = client.connect(new WebSocketConnectOptions().setAbsoluteURI(wsUrl).setAllowOriginHeader(false)).await(WAIT_MS, TimeUnit.MILLISECONDS);
    ws.textMessageHandler(text -> {
      if (text.startsWith("{\"type\":\"subscribed\"")) {
        boolean on = new JsonObject(text).getBoolean("delta", false);
        if (on == deltas) {
          subscribed.tryComplete();
        } else {
          subscribed.tryFail("delta: the subscribed reply says delta " + on + ", asked " + deltas + " (is the app's delta on?)");
        }
      } else if (text.startsWith("{\"type\":\"error\"")) {
        subscribed.tryFail("delta: " + text);
      }
      counter.onText(text);
    });
    ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", 1).put("channel", channel).put("delta", deltas).encode());
    subscribed.future().await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  /** A dashboard of about 5 KB: KPIs and a table of 50 rows. */
  private static JsonObject dashboard(Random r) {
    JsonArray kpis = new JsonArray();
    for (int i = 0; i < 12; i++) {
      kpis.add(new JsonObject().put("name", "kpi-" + i).put("value", r.nextInt(100_000)).put("trend", r.nextDouble()));
    }
    JsonArray rows = new JsonArray();
    for (int i = 0; i < 50; i++) {
      rows.add(new JsonObject().put("department", "Department " + i).put("city", "Zürich").put("orders", r.nextInt(1000))
          .put("late", r.nextInt(50)).put("status", r.nextBoolean() ? "ok" : "warn"));
    }
    return new JsonObject().put("title", "Department dashboard").put("updated", "2026-12-04T10:00:00Z").put("kpis", kpis).put("rows", rows);
  }
}
