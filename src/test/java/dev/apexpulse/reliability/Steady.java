package dev.apexpulse.reliability;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A well-behaved client while a node is under attack: subscribed to {@code steady/ticks}, which
 * another thread publishes to over the HTTP API every few milliseconds, and pinging every 250 ms.
 * It must receive every acknowledged message, in order, with consecutive offsets, and every pong.
 */
final class Steady {
  private static final String CHANNEL = "steady/ticks";

  private final TestNode node;
  private final WebSocketClient client;
  private final WebSocket ws;
  private final List<Long> offsets = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();
  private final Map<Long, Long> pingsSent = new ConcurrentHashMap<>();
  private final AtomicLong maxRtt = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong lastAcked = new AtomicLong(-1);
  private final AtomicLong acked = new AtomicLong();
  private final Thread publisher;
  private final Thread pinger;
  private long first = -1;

  private Steady(TestNode node, Vertx vertx) throws Exception {
    this.node = node;
    String token = node.token("steady", new JsonArray().add("steady/**"), new JsonArray());
    client = vertx.createWebSocketClient();
    CountDownLatch subscribed = new CountDownLatch(1);
    ws = client.connect(new WebSocketConnectOptions().setAbsoluteURI(node.wsUrl("token=" + token)).setAllowOriginHeader(false))
        .await(10, TimeUnit.SECONDS);
    ws.textMessageHandler(text -> {
      JsonObject f = new JsonObject(text);
      switch (f.getString("type")) {
        case "subscribed" -> {
          first = f.getLong("offset");
          subscribed.countDown();
        }
        case "message" -> onMessage(f.getLong("offset"));
        case "pong" -> {
          Long sent = pingsSent.remove(f.getLong("id"));
          if (sent != null) {
            maxRtt.accumulateAndGet((System.nanoTime() - sent) / 1_000_000, Math::max);
          }
        }
        case "welcome", "join", "leave" -> { }
        default -> record("unexpected frame " + text);
      }
    });
    ws.closeHandler(v -> {
      if (running.get()) {
        record("closed by the server: " + ws.closeStatusCode() + " " + ws.closeReason());
      }
    });
    ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", 1).put("channel", CHANNEL).encode());
    assertThat(subscribed.await(10, TimeUnit.SECONDS)).as("steady client subscribed").isTrue();
    publisher = new Thread(this::publish, "steady-publisher");
    pinger = new Thread(this::ping, "steady-pinger");
    publisher.start();
    pinger.start();
  }

  static Steady start(TestNode node, Vertx vertx) throws Exception {
    return new Steady(node, vertx);
  }

  private synchronized void record(String problem) {
    if (problems.size() < 20) {
      problems.add(problem);
    }
  }

  private synchronized void onMessage(long offset) {
    long expected = offsets.isEmpty() ? first + 1 : offsets.get(offsets.size() - 1) + 1;
    if (offset != expected) {
      record("offset " + offset + " where " + expected + " was due");
    }
    offsets.add(offset);
  }

  private void publish() {
    String url = node.httpBase() + "/api/v1/apps/" + TestNode.APP + "/publish";
    int n = 0;
    while (running.get()) {
      Http.Response r = Http.post(url, TestNode.API_KEY, new JsonObject().put("channel", CHANNEL).put("data", n++).encode());
      if (r.status() != 200) {
        record("publish answered " + r.status() + " " + r.body());
      } else {
        lastAcked.set(r.json().getJsonArray("results").getJsonObject(0).getLong("offset"));
        acked.incrementAndGet();
      }
      sleep(10);
    }
  }

  private void ping() {
    long id = 1000;
    while (running.get()) {
      long now = System.nanoTime();
      for (Map.Entry<Long, Long> e : pingsSent.entrySet()) {
        if (now - e.getValue() > TimeUnit.SECONDS.toNanos(5)) {
          record("no pong to ping " + e.getKey() + " within 5 s");
          pingsSent.remove(e.getKey());
        }
      }
      pingsSent.put(++id, System.nanoTime());
      ws.writeTextMessage(new JsonObject().put("type", "ping").put("id", id).encode());
      sleep(250);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized int received() {
    return offsets.size();
  }

  long maxRttMillis() {
    return maxRtt.get();
  }

  /** Stops publishing, waits for the last acknowledged message, checks everything, closes. */
  void stopAndVerify() throws Exception {
    running.set(false);
    publisher.join(30_000);
    pinger.join(10_000);
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      synchronized (this) {
        if (!offsets.isEmpty() && offsets.get(offsets.size() - 1) >= lastAcked.get()) {
          break;
        }
      }
      Thread.sleep(20);
    }
    // every ping answered: the node kept serving this client (how fast depends on the machine, not asserted)
    long pingDeadline = System.currentTimeMillis() + 30_000;
    while (!pingsSent.isEmpty() && System.currentTimeMillis() < pingDeadline) {
      Thread.sleep(20);
    }
    ws.close().await(5, TimeUnit.SECONDS);
    client.close();
    synchronized (this) {
      assertThat(problems).as("what went wrong for the well-behaved client").isEmpty();
      assertThat((long) offsets.size()).as("messages received = messages acknowledged").isEqualTo(acked.get());
      assertThat(offsets.get(offsets.size() - 1)).isEqualTo(lastAcked.get());
    }
    assertThat(pingsSent).as("pings never answered").isEmpty();
  }
}
