package dev.apexpulse.gateway;

import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.internal.http.WebSocketInternal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP deadlines guard requests only: an upgraded socket's pipeline no longer has them, so they cost
 * nothing per frame and cannot close a WebSocket that stays quiet longer than a request may take.
 */
@Timeout(30)
class HttpDeadlinesTest {

  @Test
  void anUpgradedSocketLeavesTheDeadlinesBehind() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<List<String>> before = new CompletableFuture<>();
      CompletableFuture<List<String>> after = new CompletableFuture<>();
      PulseMetrics metrics = new PulseMetrics();
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
              .setHttp2ClearTextEnabled(false))
          .connectionHandler(conn -> HttpDeadlines.install(conn, 60_000, 60_000, metrics))
          .requestHandler(req -> {
            before.complete(((io.vertx.core.net.impl.VertxConnection) req.connection()).channelHandlerContext().pipeline().names());
            req.toWebSocket().onSuccess(ws ->
                after.complete(((WebSocketInternal) ws).channelHandlerContext().pipeline().names()));
          });
      server.listen().await(10, TimeUnit.SECONDS);
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions());
      client.connect(server.actualPort(), "127.0.0.1", "/ws").await(10, TimeUnit.SECONDS);

      assertThat(before.get(10, TimeUnit.SECONDS)).contains("pulseRequestBytes", "pulseRequestMessages");
      assertThat(after.get(10, TimeUnit.SECONDS)).doesNotContain("pulseRequestBytes", "pulseRequestMessages");
      client.close();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
