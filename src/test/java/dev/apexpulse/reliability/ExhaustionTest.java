package dev.apexpulse.reliability;

import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.LogCapture;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resource exhaustion (issue 7, part 3) against a node running in this JVM, so its heap can be
 * measured after GC: connection floods, slowloris upgrades, clients that never read, many channels,
 * publish floods, huge history requests. Throughout each test a well-behaved client ({@link Steady})
 * receives every message of its channel in order and its pings are answered.
 */
@Timeout(180)
class ExhaustionTest {
  static final int MAX_CONNECTIONS = 300;
  static final int REQUEST_TIMEOUT_SECONDS = 2;

  static TestNode node;
  static Vertx vertx;
  static LogCapture logs;
  Steady steady;

  @BeforeAll
  static void start() {
    logs = LogCapture.install();
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("requestTimeoutSeconds", REQUEST_TIMEOUT_SECONDS).put("idleTimeoutSeconds", 4);
    // frames: 2000/s in bursts of 500, so a test can pipeline hundreds of subscribes (ProtocolFuzzTest checks
    // the defaults); the HTTP API: 300/s per app, which the steady client (app 100, ~100/s) stays under
    config.put("limits", new JsonObject().put("maxConnections", MAX_CONNECTIONS).put("maxHistoryRequest", 500)
        .put("maxQueuedBytes", 256 * 1024).put("frameRate", 2000).put("frameBurst", 500)
        .put("apiRate", 300).put("apiBurst", 300));
    config.put("history", new JsonObject().put("size", 2000));
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (vertx != null) {
      vertx.close();
    }
    if (logs != null) {
      logs.close();
    }
  }

  @BeforeEach
  void wellBehavedClient() throws Exception {
    steady = Steady.start(node, vertx);
  }

  @AfterEach
  void servedThroughoutAndNothingLeft() throws Exception {
    steady.stopAndVerify();
    NodeState.assertEmpty(node);
    assertThat(logs.suspicious()).as("errors logged by the node").isEmpty();
  }

  static long heapAfterGc() {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  private static String token(String user) {
    return node.token(user);
  }

  @Test
  void connectionFloodBeyondTheLimitIsRefusedWith503() throws Exception {
    int attempts = MAX_CONNECTIONS + 200;
    ExecutorService pool = Executors.newFixedThreadPool(32);
    List<RawWs> open = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger refused = new AtomicInteger();
    try {
      List<Future<?>> all = new ArrayList<>();
      String t = token("flood");
      for (int i = 0; i < attempts; i++) {
        all.add(pool.submit(() -> {
          RawWs ws = RawWs.connect(node.port(), "/ws?token=" + t, null);
          if (ws.status == 101) {
            open.add(ws);
          } else {
            assertThat(ws.status).isEqualTo(503);
            assertThat(ws.head).containsIgnoringCase("application/json");
            refused.incrementAndGet();
            ws.close();
          }
          return null;
        }));
      }
      for (Future<?> f : all) {
        f.get(60, TimeUnit.SECONDS);
      }
      // the well-behaved client holds one of the MAX_CONNECTIONS
      assertThat(open.size()).isEqualTo(MAX_CONNECTIONS - 1);
      assertThat(refused.get()).isEqualTo(attempts - MAX_CONNECTIONS + 1);
      assertThat(NodeState.connections(node)).isEqualTo(MAX_CONNECTIONS);
      System.out.printf("exhaustion: %d concurrent upgrades, %d accepted, %d refused with 503%n", attempts, open.size(), refused.get());
    } finally {
      pool.shutdownNow();
      open.forEach(RawWs::close);
    }
    // room again once they are gone
    io.vertx.core.json.JsonObject welcome;
    dev.apexpulse.support.Await.until("flood sockets released", 10_000, () -> NodeState.connections(node) == 1);
    try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token("after"), null)) {
      assertThat(ws.status).isEqualTo(101);
    }
  }

  /** Raw sockets: nothing sent, half a request line, headers dripping a byte at a time. */
  @Test
  void slowlorisConnectionsAreClosedWhileWebSocketsStay() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    long start = System.nanoTime();
    try (RawWs quietWebSocket = RawWs.connect(node.port(), "/ws?token=" + token("quiet"), null)) {
      assertThat(quietWebSocket.status).isEqualTo(101);
      assertThat(quietWebSocket.read().text()).contains("welcome");
      for (int i = 0; i < 150; i++) {
        Socket s = new Socket("127.0.0.1", node.port());
        s.setSoTimeout(15_000);
        sockets.add(s);
        OutputStream out = s.getOutputStream();
        switch (i % 3) {
          case 0 -> { } // nothing at all
          case 1 -> out.write(("GET /ws?token=" + token("slow") + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n").getBytes(StandardCharsets.US_ASCII));
          default -> out.write("GET /health/live HTTP/1.1\r\nHost".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
      }
      // the drippers send one more byte every 500 ms, which an idle timeout alone would accept forever
      Thread dripper = new Thread(() -> {
        for (int round = 0; round < 30; round++) {
          for (int i = 2; i < sockets.size(); i += 3) {
            try {
              sockets.get(i).getOutputStream().write('x');
            } catch (IOException closed) {
              // closed by the server: what we want
            }
          }
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      dripper.setDaemon(true);
      dripper.start();
      for (Socket s : sockets) {
        assertThat(endOfStream(s.getInputStream())).as("slowloris socket closed by the server").isTrue();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      dripper.interrupt();
      assertThat(seconds).isLessThan(REQUEST_TIMEOUT_SECONDS + 6);
      System.out.printf("exhaustion: 150 slowloris sockets closed within %.1f s (http.requestTimeoutSeconds=%d)%n", seconds, REQUEST_TIMEOUT_SECONDS);
      // an upgraded WebSocket silent for longer than the request timeout is governed by heartbeats, not closed
      quietWebSocket.sendText("{\"type\":\"ping\",\"id\":1}");
      assertThat(quietWebSocket.read().text()).isEqualTo("{\"type\":\"pong\",\"id\":1}");
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void idleKeepAliveHttpConnectionIsClosedAfterTheIdleTimeoutNotBefore() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int i = 0; i < 2; i++) {
        out.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 200");
        int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        in.readNBytes(length);
        Thread.sleep((REQUEST_TIMEOUT_SECONDS + 1) * 1000L); // longer than the request timeout: idle is not slow
      }
      long idleFrom = System.nanoTime();
      assertThat(endOfStream(in)).isTrue();
      double idle = (System.nanoTime() - idleFrom) / 1e9;
      assertThat(idle).isBetween(0.0, 6.0);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    while (b.length() < 4 || !b.substring(b.length() - 4).equals("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed");
      }
      b.append((char) c);
    }
    return b.toString();
  }

  private static boolean endOfStream(InputStream in) throws IOException {
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /**
   * A client asking for replies (presence of a busy channel, within the frame rate) and never reading
   * them: its queue is bounded by limits.maxQueuedBytes like that of a slow subscriber (1013).
   */
  @Test
  void clientThatNeverReadsItsRepliesIsClosedWith1013() throws Exception {
    List<RawWs> crowd = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        String user = "member-" + i;
        String t = node.jwt.hs256(node.jwt.claims(user, 3600).put("name", "A rather long display name " + "x".repeat(200))
            .put("sub_ch", new JsonArray().add("**")));
        RawWs ws = RawWs.connect(node.port(), "/ws?token=" + t, null);
        crowd.add(ws);
        ws.read();
        ws.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"busy/room\"}");
      }
      dev.apexpulse.support.Await.until("crowd subscribed", 10_000,
          () -> NodeState.presence(node, TestNode.APP).stream().map(JsonObject.class::cast)
              .anyMatch(c -> "busy/room".equals(c.getString("channel")) && c.getInteger("subscribers") == 100));
      double closesBefore = closes(1013);
      long before = heapAfterGc();
      try (RawWs deaf = RawWs.connect(node.port(), "/ws?token=" + token("deaf"), null, 4096)) {
        deaf.read();
        byte[] presence = "{\"type\":\"presence\",\"channel\":\"busy/room\"}".getBytes(StandardCharsets.UTF_8);
        int sent = 0;
        long until = System.currentTimeMillis() + 10_000;
        try {
          // 40 requests a second, each reply ~25 KB: 1 MB/s it never reads
          while (System.currentTimeMillis() < until && closes(1013) == closesBefore) {
            deaf.queue(RawWs.TEXT, true, presence).flush();
            sent++;
            Thread.sleep(25);
          }
        } catch (IOException closedWhileWriting) {
          // the server dropped the socket
        }
        long after = heapAfterGc();
        assertThat(closes(1013)).as("closed as a slow consumer").isEqualTo(closesBefore + 1);
        deaf.soTimeout(15_000);
        assertThat(readUntilClose(deaf)).isIn(1013, 1006);
        System.out.printf("exhaustion: deaf client sent %d presence requests, closed with 1013; heap after GC %d -> %d MB%n",
            sent, before >> 20, after >> 20);
        assertThat(after - before).isLessThan(4L << 20);
      }
    } finally {
      crowd.forEach(RawWs::close);
    }
  }

  private static double closes(int code) {
    var c = node.node.metrics().registry().find("pulse_closes").tag("code", Integer.toString(code)).counter();
    return c == null ? 0 : c.count();
  }

  /** The next text frame that is not a join/leave event. */
  static JsonObject reply(RawWs ws) throws IOException {
    while (true) {
      RawWs.Frame f = ws.read();
      assertThat(f).as("connection still open").isNotNull();
      if (f.opcode() == RawWs.PING) {
        continue; // a heartbeat
      }
      assertThat(f.opcode()).as("a text frame, not " + f.opcode() + " " + (f.opcode() == RawWs.CLOSE ? f.closeCode() + " " + f.closeReason() : f.text()))
          .isEqualTo(RawWs.TEXT);
      JsonObject o = new JsonObject(f.text());
      if (!"join".equals(o.getString("type")) && !"leave".equals(o.getString("type"))) {
        return o;
      }
    }
  }

  private static int readUntilClose(RawWs ws) throws IOException {
    RawWs.Frame f;
    while ((f = ws.read()) != null) {
      if (f.opcode() == RawWs.CLOSE) {
        return f.closeCode();
      }
    }
    return 1006;
  }

  /**
   * 10,000 channels with one subscriber each: what a channel costs while subscribed, and that nothing
   * per channel stays once the subscribers are gone (two rounds with different names: the first one
   * also warms up pools and caches, the second must not leave more behind).
   */
  @Test
  void manyChannelsEachWithOneSubscriberStayWithinABoundedHeap() throws Exception {
    long start = heapAfterGc();
    subscribeToManyChannels("first");
    long afterFirst = heapAfterGc();
    double rings = node.node.metrics().registry().get("pulse_history_channels").gauge().value();
    subscribeToManyChannels("second");
    long afterSecond = heapAfterGc();
    // channels that never had a message leave no history ring behind (issue 7 regression)
    assertThat(node.node.metrics().registry().get("pulse_history_channels").gauge().value()).isEqualTo(rings);
    System.out.printf("exhaustion: heap after GC before %d MB, after 10,000 channels came and went %d MB, after 10,000 more %d MB%n",
        start >> 20, afterFirst >> 20, afterSecond >> 20);
    // nothing per channel is kept once its subscribers are gone (not even an empty history ring)
    assertThat(afterSecond - afterFirst).isLessThan(2L << 20);
  }

  private void subscribeToManyChannels(String round) throws Exception {
    int sockets = 40;
    int perSocket = 250;
    long before = heapAfterGc();
    List<RawWs> held = new ArrayList<>();
    try {
      for (int s = 0; s < sockets; s++) {
        RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token("owner-" + s), null);
        held.add(ws);
        ws.read();
        for (int i = 0; i < perSocket; i++) {
          ws.queueText("{\"type\":\"subscribe\",\"id\":" + i + ",\"channel\":\"solo/" + round + "/" + s + "/" + i + "\"}");
        }
        ws.flush();
        int ok = 0;
        while (ok < perSocket) {
          if ("subscribed".equals(reply(ws).getString("type"))) {
            ok++;
          }
        }
      }
      int channels = sockets * perSocket;
      assertThat(NodeState.channels(node)).isEqualTo(channels + 1);
      long held10k = heapAfterGc();
      long perChannel = (held10k - before) / channels;
      System.out.printf("exhaustion: %d channels with one subscriber each: heap after GC %d -> %d MB, %d bytes per channel%n",
          channels, before >> 20, held10k >> 20, perChannel);
      assertThat(perChannel).isLessThan(8 * 1024);
    } finally {
      held.forEach(RawWs::close);
    }
    dev.apexpulse.support.Await.until("channels released", 10_000, () -> NodeState.channels(node) == 1);
  }

  /** Publishing over the limits: frames past the burst are refused then the socket closed; the API answers 429. */
  @Test
  void publishFloodsOverTheRateLimitsAreRefused() throws Exception {
    // over the socket, at the default limits (50 frames/s, bursts of 100)
    try (TestNode defaults = TestNode.start(TestNode.config());
         RawWs flood = RawWs.connect(defaults.port(), "/ws?token=" + defaults.token("publisher"), null)) {
      flood.read();
      // written by another thread while this one reads: the replies must not pile up unread (that is 1013)
      Thread writer = new Thread(() -> {
        try {
          for (int i = 0; i < 5000; i++) {
            flood.queueText("{\"type\":\"publish\",\"id\":" + i + ",\"channel\":\"flood/x\",\"data\":" + i + "}");
            if (i % 100 == 99) {
              flood.flush();
            }
          }
          flood.flush();
        } catch (IOException closed) {
          // closed by the server mid-flood
        }
      });
      writer.start();
      int acks = 0;
      int limited = 0;
      RawWs.Frame f;
      while ((f = flood.read()) != null && f.opcode() != RawWs.CLOSE) {
        if (f.opcode() == RawWs.PING) {
          continue;
        }
        String type = new JsonObject(f.text()).getString("type");
        if ("ack".equals(type)) {
          acks++;
        } else {
          limited++;
        }
      }
      assertThat(f.closeCode()).isEqualTo(1008);
      assertThat(acks).isBetween(100, 150); // the burst, plus 50/s while the flood is handled
      assertThat(limited).isGreaterThanOrEqualTo(100);
      System.out.printf("exhaustion: publish flood over a socket: %d acknowledged, %d rate_limited, then 1008%n", acks, limited);
      assertThat(Http.get(defaults.httpBase() + "/api/v1/apps/100/history?channel=flood/x&limit=1", TestNode.API_KEY)
          .json().getLong("offset")).isEqualTo(acks);
    }
    // the HTTP API: app 200's budget (300/s) runs out; app 100 (the steady client's) is not touched
    // a Vert.x of its own: the steady client's event loop must not be the one flooding
    Vertx flooder = Vertx.vertx();
    io.vertx.core.http.HttpClient http = flooder.createHttpClient(new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
    long floodStart = System.nanoTime();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger tooMany = new AtomicInteger();
    List<io.vertx.core.Future<Integer>> all = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      all.add(http.request(new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.POST)
              .setHost("127.0.0.1").setPort(node.port()).setURI("/api/v1/apps/200/publish")
              .putHeader("Authorization", "Bearer other-api-key-0123456789"))
          .compose(req -> req.send("{\"channel\":\"flood/y\",\"data\":1}"))
          .compose(res -> res.body().map(b -> res.statusCode())));
    }
    for (io.vertx.core.Future<Integer> f : all) {
      int status = f.await(60, TimeUnit.SECONDS);
      assertThat(status).isIn(200, 429);
      (status == 200 ? ok : tooMany).incrementAndGet();
    }
    http.close();
    flooder.close();
    System.out.printf("exhaustion: HTTP flood took %d ms%n", (System.nanoTime() - floodStart) / 1_000_000);
    System.out.printf("exhaustion: HTTP publish flood on app 200: %d accepted, %d refused with 429%n", ok.get(), tooMany.get());
    assertThat(tooMany.get()).isGreaterThan(1000);
  }

  @Test
  void veryLargeHistoryRequestsAreCappedByMaxHistoryRequest() throws Exception {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 1000; i++) {
      batch.add(new JsonObject().put("channel", "big/history").put("data", "x".repeat(500)));
    }
    for (int round = 0; round < 2; round++) {
      assertThat(Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY,
          new JsonObject().put("messages", batch).encode()).status()).isEqualTo(200);
    }
    String base = node.httpBase() + "/api/v1/apps/100/history?channel=big/history";
    assertThat(Http.get(base + "&limit=1000000", TestNode.API_KEY).status()).isEqualTo(400);
    assertThat(Http.get(base + "&limit=501", TestNode.API_KEY).status()).isEqualTo(400);
    assertThat(Http.get(base + "&limit=99999999999999999999", TestNode.API_KEY).status()).isEqualTo(400);
    JsonObject recent = Http.get(base, TestNode.API_KEY).json();
    assertThat(recent.getJsonArray("messages")).hasSize(500);
    String epoch = recent.getString("epoch");
    JsonObject tooFar = Http.get(base + "&since=0&epoch=" + epoch, TestNode.API_KEY).json();
    assertThat(tooFar.getBoolean("recovered")).isFalse();
    assertThat(tooFar.getJsonArray("messages")).isEmpty();
    // the same over the socket: 2000 missed, at most 500 replayed: recovered:false and nothing replayed
    try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token("reader"), null)) {
      ws.read();
      ws.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"big/history\",\"since\":{\"offset\":0,\"epoch\":\"" + epoch + "\"}}");
      JsonObject reply = reply(ws);
      assertThat(reply.getBoolean("recovered")).isFalse();
      ws.sendText("{\"type\":\"ping\",\"id\":2}");
      assertThat(reply(ws).getString("type")).isEqualTo("pong");
      // 400 missed: replayed in full, then live messages
      ws.sendText("{\"type\":\"unsubscribe\",\"id\":3,\"channel\":\"big/history\"}");
      assertThat(reply(ws).getString("type")).isEqualTo("unsubscribed");
      ws.sendText("{\"type\":\"subscribe\",\"id\":4,\"channel\":\"big/history\",\"since\":{\"offset\":1600,\"epoch\":\"" + epoch + "\"}}");
      JsonObject again = reply(ws);
      assertThat(again.getBoolean("recovered")).isTrue();
      for (long offset = 1601; offset <= 2000; offset++) {
        JsonObject m = reply(ws);
        assertThat(m.getString("type")).isEqualTo("message");
        assertThat(m.getLong("offset")).isEqualTo(offset);
      }
    }
  }
}
