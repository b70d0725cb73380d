package dev.apexpulse.gateway;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subscriber that stops reading while 50 MB is published to its channel is closed with 1013; the
 * server's heap stays bounded and the other subscribers receive everything.
 */
@Timeout(180)
class SlowConsumerTest {

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void stalledReaderIsClosedWith1013AndOthersGetEverything() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("maxBodyBytes", 2 << 20);
    // 4 MB: slack for the reading client on a loaded machine; the stalled one passes it within 1/10 of the burst
    config.put("limits", new JsonObject().put("maxQueuedBytes", 4 << 20).put("apiRate", 10_000).put("apiBurst", 10_000));
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(config)) {
      WsClient slow = WsClient.open(vertx, node.wsUrl("token=" + node.token("slow")));
      WsClient fast = WsClient.open(vertx, node.wsUrl("token=" + node.token("fast")));
      slow.subscribe("reports/big");
      long start = fast.subscribe("reports/big").getLong("offset");
      AtomicInteger fastReceived = new AtomicInteger();
      // count on the event loop: queueing 800 x 60 KB frames in the test would itself be the leak
      fast.ws.textMessageHandler(t -> {
        if (t.startsWith("{\"type\":\"message\"")) {
          fastReceived.incrementAndGet();
        }
      });
      slow.ws.pause(); // stops reading: the kernel buffers fill, then the server's queue
      long before = usedHeapAfterGc();

      String chunk = "x".repeat(60_000);
      int messages = 0;
      for (int batch = 0; batch < 50; batch++) {
        JsonArray list = new JsonArray();
        for (int i = 0; i < 17; i++) {
          list.add(new JsonObject().put("channel", "reports/big").put("data", chunk));
          messages++;
        }
        assertThat(Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
            new JsonObject().put("messages", list).encode()).status()).isEqualTo(200);
      }
      long published = (long) messages * chunk.length();
      assertThat(published).isGreaterThan(50_000_000L);
      long deadline = System.currentTimeMillis() + 60_000;
      while (fastReceived.get() < messages && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      long after = usedHeapAfterGc();
      assertThat(fastReceived.get()).isEqualTo(messages);
      assertThat(node.node.metrics().registry().get("pulse_slow_consumer_closes").counter().count()).isEqualTo(1.0);
      slow.ws.resume();
      assertThat(slow.awaitClose()).isEqualTo((short) 1013);
      System.out.printf("slow consumer: published %d MB; heap after GC before %d MB, after %d MB%n",
          published >> 20, before >> 20, after >> 20);
      // history keeps 100 x 60 KB; everything else published must be gone, not queued for the stalled socket
      assertThat(after - before).isLessThan(30L << 20);
      fast.close();
      slow.close();
    } finally {
      vertx.close();
    }
  }
}
