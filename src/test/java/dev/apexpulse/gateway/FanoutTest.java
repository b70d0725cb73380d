package dev.apexpulse.gateway;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** 10,000 messages to a channel with 200 subscribers: every subscriber gets all, in offset order. */
@Timeout(240)
class FanoutTest {
  private static final int SUBSCRIBERS = 200;
  private static final int MESSAGES = 10_000;

  /** One subscriber's view: the next offset it expects, and the first violation it saw. */
  static final class Receiver {
    long expected;
    int received;
    String problem;
  }

  @Test
  void everySubscriberGetsEveryMessageInOrder() throws Exception {
    JsonObject config = TestNode.config();
    // order and completeness are checked here, not slow consumers: room for a client JVM that lags on a busy machine
    config.put("limits", new JsonObject().put("maxConnections", 1000).put("apiRate", 10_000).put("apiBurst", 10_000).put("maxQueuedBytes", 8 << 20));
    Vertx clients = Vertx.vertx();
    try (TestNode node = TestNode.start(config)) {
      WebSocketClient client = clients.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setMaxConnections(SUBSCRIBERS));
      List<Receiver> receivers = new ArrayList<>();
      List<WebSocket> sockets = new ArrayList<>();
      CountDownLatch subscribed = new CountDownLatch(SUBSCRIBERS);
      CountDownLatch done = new CountDownLatch(SUBSCRIBERS);
      AtomicInteger startOffset = new AtomicInteger(-1);
      String token = node.token("reader");
      for (int i = 0; i < SUBSCRIBERS; i++) {
        Receiver r = new Receiver();
        receivers.add(r);
        WebSocket ws = client.connect(new WebSocketConnectOptions().setAbsoluteURI(node.wsUrl("token=" + token))
            .setAllowOriginHeader(false)).map(socket -> {
              socket.textMessageHandler(text -> {
                // parse only what is checked: the hot loop of the test must keep up with the server
                if (text.startsWith("{\"type\":\"message\"")) {
                  int at = text.indexOf("\"offset\":") + 9;
                  long offset = Long.parseLong(text, at, text.indexOf(',', at), 10);
                  if (offset != r.expected && r.problem == null) {
                    r.problem = "expected offset " + r.expected + " got " + offset;
                  }
                  r.expected = offset + 1;
                  if (++r.received == MESSAGES) {
                    done.countDown();
                  }
                } else if (text.contains("\"subscribed\"")) {
                  r.expected = new JsonObject(text).getLong("offset") + 1;
                  subscribed.countDown();
                }
              });
              socket.writeTextMessage("{\"type\":\"subscribe\",\"channel\":\"dashboard/all\"}");
              return socket;
            }).await(10, TimeUnit.SECONDS);
        sockets.add(ws);
      }
      assertThat(subscribed.await(30, TimeUnit.SECONDS)).as("all subscribed").isTrue();

      long started = System.nanoTime();
      for (int batch = 0; batch < MESSAGES / 1000; batch++) {
        JsonArray messages = new JsonArray();
        for (int i = 0; i < 1000; i++) {
          messages.add(new JsonObject().put("channel", "dashboard/all")
              .put("data", new JsonObject().put("seq", batch * 1000 + i).put("orders", 42)));
        }
        Http.Response r = Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
            new JsonObject().put("messages", messages).encode());
        assertThat(r.status()).isEqualTo(200);
      }
      boolean all = done.await(180, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("fan-out: %d messages x %d subscribers = %d deliveries in %.1f s (%.0f/s)%n",
          MESSAGES, SUBSCRIBERS, (long) MESSAGES * SUBSCRIBERS, seconds, MESSAGES * SUBSCRIBERS / seconds);
      for (Receiver r : receivers) {
        assertThat(r.problem).isNull();
      }
      assertThat(all).as("every subscriber received " + MESSAGES + "; counts: "
          + receivers.stream().mapToInt(r -> r.received).summaryStatistics()).isTrue();
      sockets.forEach(WebSocket::close);
    } finally {
      clients.close().await(10, TimeUnit.SECONDS);
    }
  }
}
