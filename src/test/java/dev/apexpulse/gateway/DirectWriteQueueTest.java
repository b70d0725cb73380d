package dev.apexpulse.gateway;

import dev.apexpulse.transport.DirectWriteQueue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The direct write queue reaches both connections of an upgraded socket (this fails when a Vert.x upgrade moves what it relies on)
 * and the socket keeps working with it: ordered delivery through backpressure, then a clean close.
 */
@Timeout(60)
class DirectWriteQueueTest {

  @Test
  void socketGetsTheDirectQueueAndDeliversEverythingInOrder() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<String> queueAfterInstall = new CompletableFuture<>();
      String block = "x".repeat(1000);
      int count = 3000; // 3 MB: well past the write-buffer high water mark, so the writes wait for the reader
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
          .requestHandler(req -> req.toWebSocket().onSuccess(ws -> {
            int installed = DirectWriteQueue.install(ws, req.connection());
            queueAfterInstall.complete(installed + " " + queueClass(connectionOf(ws)) + " "
                + queueClass((VertxConnection) req.connection()));
            writeFrom(ws, 0, count, block);
          }));
      server.listen().await(10, TimeUnit.SECONDS);

      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions());
      List<String> received = new CopyOnWriteArrayList<>();
      CompletableFuture<Short> closed = new CompletableFuture<>();
      var socket = client.webSocket();
      socket.textMessageHandler(received::add);
      socket.closeHandler(v -> closed.complete(socket.closeStatusCode()));
      socket.connect(server.actualPort(), "127.0.0.1", "/ws").await(10, TimeUnit.SECONDS);

      assertThat(queueAfterInstall.get(10, TimeUnit.SECONDS)).isEqualTo("2 DirectOutboundMessageQueue DirectOutboundMessageQueue");
      assertThat(closed.get(30, TimeUnit.SECONDS)).isEqualTo((short) 1000);
      assertThat(received).hasSize(count);
      for (int i = 0; i < count; i++) {
        assertThat(received.get(i)).startsWith(i + ":");
      }
      client.close();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Writes while the socket takes more, continues when it drains: Vert.x's own backpressure contract. */
  private static void writeFrom(io.vertx.core.http.ServerWebSocket ws, int from, int count, String block) {
    int i = from;
    while (i < count && !ws.writeQueueFull()) {
      ws.writeTextMessage(i + ":" + block);
      i++;
    }
    if (i == count) {
      ws.close((short) 1000, "done");
    } else {
      int next = i;
      ws.drainHandler(v -> writeFrom(ws, next, count, block));
    }
  }

  private static VertxConnection connectionOf(io.vertx.core.http.ServerWebSocket ws) {
    return ((VertxHandler<?>) ((WebSocketInternal) ws).channelHandlerContext().handler()).getConnection();
  }

  private static String queueClass(VertxConnection conn) {
    try {
      Field queue = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      queue.setAccessible(true);
      return queue.get(conn).getClass().getSimpleName();
    } catch (ReflectiveOperationException e) {
      return e.toString();
    }
  }
}
