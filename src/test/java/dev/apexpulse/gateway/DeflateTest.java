package dev.apexpulse.gateway;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.TestNode;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code http.compression} on, message frames (pre-encoded for everyone else) still go through the
 * per-message deflate of sockets that negotiated it, and arrive intact.
 */
@Timeout(60)
class DeflateTest extends LiveNodeTest {

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("compression", true);
    startNode(config);
  }

  @Test
  void messagesReachADeflateClientIntact() throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(true));
    try {
      BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
      ClientWebSocket ws = client.webSocket();
      ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
      ws.connect(new WebSocketConnectOptions().setAbsoluteURI(node.wsUrl("token=" + node.token("scott")))
          .setAllowOriginHeader(false)).await(10, TimeUnit.SECONDS);
      assertThat(ws.headers().get("sec-websocket-extensions")).contains("permessage-deflate");
      assertThat(next(frames, "welcome")).isNotNull();
      ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", 1).put("channel", "deflate/a").encode());
      assertThat(next(frames, "subscribed").getString("channel")).isEqualTo("deflate/a");

      String big = "compressible ".repeat(2000);
      for (String text : new String[] {"small", big}) {
        Http.Response r = Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
            new JsonObject().put("channel", "deflate/a").put("data", new JsonObject().put("text", text)).encode());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonObject m = next(frames, "message");
        assertThat(m.getJsonObject("data").getString("text")).isEqualTo(text);
      }
    } finally {
      client.close();
    }
  }

  private static JsonObject next(BlockingQueue<JsonObject> frames, String type) throws InterruptedException {
    while (true) {
      JsonObject f = frames.poll(10, TimeUnit.SECONDS);
      assertThat(f).as("a %s frame", type).isNotNull();
      if (type.equals(f.getString("type"))) {
        return f;
      }
    }
  }
}
