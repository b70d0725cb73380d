package dev.apexpulse.db;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.PgTestDb;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Measures commit-to-socket latency of the outbox on PostgreSQL, with the doorbell (LISTEN/NOTIFY)
 * and without it (outbox.listen: false, polling every outbox.intervalMillis = 200 ms). Not a test: a
 * tool whose figures go to docs/PERFORMANCE.md. One command:
 *
 * <pre>
 * mvn -B -q test-compile exec:java -Dexec.mainClass=dev.apexpulse.db.DoorbellLatency -Dexec.classpathScope=test
 * </pre>
 *
 * <p>A PostgreSQL server made by the test support (Debian's binaries, fsync off), a gateway node in
 * this JVM, one WebSocket subscriber. Each row is committed alone, at random intervals of 5-45 ms (so
 * the commits do not fall into step with the poll interval); the latency of a row runs from the
 * return of its commit to the arrival of its message at the subscriber's socket (both clocks are this
 * JVM's nanoTime). Rows: {@code -Drows=500} (after 100 unmeasured warm-up rows).
 */
public final class DoorbellLatency {
  private DoorbellLatency() {}

  public static void main(String[] args) throws Exception {
    int rows = Integer.getInteger("rows", 500);
    System.out.printf("commit -> socket, %d rows each committed alone, %d cores%n", rows, Runtime.getRuntime().availableProcessors());
    for (boolean listen : new boolean[] {true, false}) {
      long[] ms = measure(listen, rows);
      System.out.printf("%-38s p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  max %6.1f ms%n",
          listen ? "doorbell (LISTEN/NOTIFY)" : "interval poll only (200 ms)",
          pct(ms, 50), pct(ms, 90), pct(ms, 99), ms[ms.length - 1] / 1000.0);
    }
    System.exit(0);
  }

  /** Latencies in microseconds, sorted. */
  private static long[] measure(boolean listen, int rows) throws Exception {
    int warmup = 100;
    Map<Integer, Long> committed = new ConcurrentHashMap<>();
    Map<Integer, Long> arrived = new ConcurrentHashMap<>();
    Vertx vertx = Vertx.vertx();
    try (PgTestDb db = PgTestDb.create("latency")) {
      JsonObject config = db.nodeConfig();
      config.getJsonObject("outbox").put("intervalMillis", 200).put("listen", listen);
      try (TestNode node = TestNode.start(config)) {
        if (listen) {
          Await.until("the poller listens", 10_000,
              () -> Http.get(node.httpBase() + "/metrics", null).body().contains("pulse_outbox_listening 1.0"));
        }
        WebSocket ws = vertx.createWebSocketClient()
            .connect(new WebSocketConnectOptions().setAbsoluteURI(node.wsUrl("token=" + node.token("latency"))).setAllowOriginHeader(false))
            .await(10, TimeUnit.SECONDS);
        ws.textMessageHandler(text -> {
          long now = System.nanoTime();
          JsonObject f = new JsonObject(text);
          if ("message".equals(f.getString("type"))) {
            arrived.putIfAbsent(f.getJsonObject("data").getInteger("seq"), now);
          }
        });
        ws.writeTextMessage("{\"type\":\"subscribe\",\"channel\":\"latency/feed\"}");
        try (Connection c = db.connect();
             PreparedStatement insert = c.prepareStatement("INSERT INTO pulse_outbox (app_id, channel, payload) VALUES (?, 'latency/feed', ?)")) {
          for (int seq = 1; seq <= warmup + rows; seq++) {
            insert.setString(1, TestNode.APP);
            insert.setString(2, "{\"seq\":" + seq + "}");
            insert.executeUpdate();
            committed.put(seq, System.nanoTime());
            Thread.sleep(ThreadLocalRandom.current().nextInt(5, 46));
          }
        }
        Await.until("every row arrived", 30_000, () -> arrived.size() >= warmup + rows);
        ws.close().await(5, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    long[] micros = new long[rows];
    for (int i = 0; i < rows; i++) {
      int seq = warmup + 1 + i;
      micros[i] = (arrived.get(seq) - committed.get(seq)) / 1000;
    }
    Arrays.sort(micros);
    return micros;
  }

  private static double pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1000.0;
  }
}
