package dev.apexpulse.reliability;

import dev.apexpulse.reliability.ProtocolOracle.TokenKind;
import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.LogCapture;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Protocol fuzzing against a live node (issue 7, part 1). At least 100,000 generated client messages
 * per run ({@code -Dfuzz.frames}, {@code -Dfuzz.seed} to replay a run), each checked against
 * {@link ProtocolOracle}; meanwhile a well-behaved client receives every message of its channel with
 * consecutive offsets. Afterwards: no error logged, no subscription, channel or presence entry left.
 */
@Timeout(300)
class ProtocolFuzzTest {
  static final int MAX_SUBSCRIPTIONS = 64;
  static final int MAX_FRAME_BYTES = 16 * 1024;
  static final int MAX_PUBLISH_BYTES = 1024;
  static final int MAX_HISTORY_REQUEST = 20;
  static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());
  static final int FRAMES = Integer.getInteger("fuzz.frames", 100_000);
  static final List<String> SUB = List.of("fz/**", "user/{sub}", "public/*");
  static final List<String> PUB = List.of("fz/pub/**");

  static TestNode node;
  static Vertx vertx;
  static LogCapture logs;

  @BeforeAll
  static void start() {
    logs = LogCapture.install();
    JsonObject config = TestNode.config();
    config.put("limits", new JsonObject().put("frameRate", 1_000_000).put("frameBurst", 1_000_000)
        .put("historyRate", 1_000_000).put("historyBurst", 1_000_000).put("maxHistoryRequest", MAX_HISTORY_REQUEST)
        .put("maxFrameBytes", MAX_FRAME_BYTES).put("maxPublishBytes", MAX_PUBLISH_BYTES)
        .put("maxSubscriptions", MAX_SUBSCRIPTIONS).put("maxConnections", 5000)
        .put("apiRate", 100_000).put("apiBurst", 100_000));
    node = TestNode.start(config);
    vertx = Vertx.vertx();
    System.out.println("fuzz seed " + SEED + " (replay with -Dfuzz.seed=" + SEED + ")");
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

  @AfterEach
  void nothingLeakedNothingLogged() {
    NodeState.assertEmpty(node);
    assertThat(logs.suspicious()).as("errors logged by the node").isEmpty();
  }

  private static String token(String user, List<String> sub, List<String> pub, long ttl) {
    return node.jwt.hs256(node.jwt.claims(user, ttl).put("sub_ch", new JsonArray(sub)).put("pub_ch", new JsonArray(pub)));
  }

  /** A fuzzing socket for a user (null: anonymous, ?app=100), its tokens for auth frames known to the oracle. */
  private static FuzzConnection open(String user, long seed) throws Exception {
    Map<String, TokenKind> kinds = new HashMap<>();
    List<String> tokens = new ArrayList<>();
    if (user != null) {
      kinds.put(token(user, SUB, PUB, 3600), TokenKind.SAME_USER);
      kinds.put(token(user + "-x", SUB, PUB, 3600), TokenKind.OTHER_USER);
      kinds.put(new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET).hs256(
          new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET).claims(user, 3600)), TokenKind.OTHER_APP);
      kinds.put(token(user, SUB, PUB, -60), TokenKind.REFUSED);
      kinds.put(Jwt.unsigned(node.jwt.claims(user, 3600)), TokenKind.REFUSED);
      kinds.put(new Jwt(TestNode.APP, "wrong-secret-0123456789-0123456789-abc").hs256(node.jwt.claims(user, 3600)), TokenKind.REFUSED);
      tokens.addAll(kinds.keySet());
    }
    RawWs ws = RawWs.connect(node.port(), user == null ? "/ws?app=100" : "/ws?token=" + token(user, SUB, PUB, 3600), null);
    assertThat(ws.status).isEqualTo(101);
    assertThat(ws.read().text()).contains("\"welcome\"");
    ProtocolOracle oracle = user == null
        ? new ProtocolOracle(true, "anonymous", List.of("public/**"), List.of(), MAX_SUBSCRIPTIONS, MAX_PUBLISH_BYTES,
            MAX_HISTORY_REQUEST, kinds)
        : new ProtocolOracle(false, user, SUB, PUB, MAX_SUBSCRIPTIONS, MAX_PUBLISH_BYTES, MAX_HISTORY_REQUEST, kinds);
    FuzzConnection c = new FuzzConnection(ws, oracle, seed);
    c.generator = new FrameGenerator(seed, user == null ? "anonymous" : user, tokens, MAX_PUBLISH_BYTES);
    return c;
  }

  @Test
  void generatedFramesGetTheDocumentedAnswersWhileAWellBehavedClientMissesNothing() throws Exception {
    Steady steady = Steady.start(node, vertx);
    int sockets = 6;
    ExecutorService pool = Executors.newFixedThreadPool(sockets);
    AtomicLong messages = new AtomicLong();
    AtomicLong wire = new AtomicLong();
    AtomicLong delivered = new AtomicLong();
    Map<String, Long> coverage = new java.util.concurrent.ConcurrentSkipListMap<>();
    long started = System.nanoTime();
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < sockets; i++) {
        int n = i;
        runs.add(pool.submit(() -> {
          // socket 0 is anonymous; the others are users with the same grants
          try (FuzzConnection c = open(n == 0 ? null : "fuzz-" + n, SEED + n)) {
            while (messages.get() < FRAMES) {
              int batch = 0;
              while (batch < 150) {
                for (FrameGenerator.Item item : c.generator.next()) {
                  c.queue(item);
                  batch++;
                }
              }
              c.flushAndCheck(30_000);
              messages.addAndGet(batch);
            }
            wire.addAndGet(c.wireFrames);
            delivered.addAndGet(c.delivered);
            c.coverage.forEach((k, v) -> coverage.merge(k, v, Long::sum));
            c.finish(n % 2 == 0);
          }
          return null;
        }));
      }
      for (Future<?> f : runs) {
        f.get(240, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    steady.stopAndVerify();
    System.out.printf("fuzz: %,d generated messages (%,d WebSocket frames with fragments and pings) on %d sockets in %.1f s"
            + " (%,.0f/s), %,d message frames delivered to them; well-behaved client: %d messages in order, ping rtt max %d ms; seed %d%n",
        messages.get(), wire.get(), sockets, seconds, messages.get() / seconds, delivered.get(), steady.received(), steady.maxRttMillis(), SEED);
    System.out.println("fuzz: answers expected and received, by kind: " + coverage);
    assertThat(messages.get()).isGreaterThanOrEqualTo(FRAMES);
    // every documented answer to a request was exercised
    assertThat(coverage.keySet()).contains("ack", "error:bad_request", "error:forbidden", "error:limit_exceeded",
        "error:not_found", "error:too_large", "error:unauthorized", "pong", "presence", "subscribed", "unsubscribed", "welcome");
  }

  /** Frames that end the connection: each on a fresh socket, each with its documented close. */
  @Test
  void connectionBreakingFramesCloseWithTheDocumentedCode() throws Exception {
    SplittableRandom r = new SplittableRandom(SEED);
    String url = "/ws?token=" + token("breaker", SUB, PUB, 3600);
    Map<String, Integer> seen = new java.util.TreeMap<>();
    byte[][] invalid = {
        {(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
    int frames = 0;
    for (int round = 0; round < 20; round++) {
      // invalid UTF-8 inside a text message, whole or split across fragments: 1007
      byte[] bad = invalid[r.nextInt(invalid.length)];
      byte[] text = concat(FrameGenerator.utf8("{\"type\":\"ping\",\"x\":\""), bad, FrameGenerator.utf8("\"}"));
      frames += breaks(url, seen, "invalid UTF-8", 1007, ws -> ws.queue(RawWs.TEXT, true, text));
      int cut = 20 + r.nextInt(bad.length);
      frames += breaks(url, seen, "invalid UTF-8 across fragments", 1007, ws -> ws
          .queue(RawWs.TEXT, false, java.util.Arrays.copyOfRange(text, 0, cut))
          .queue(RawWs.CONTINUATION, true, java.util.Arrays.copyOfRange(text, cut, text.length)));
      byte[] truncated = concat(FrameGenerator.utf8("{\"type\":\"ping\"}"), new byte[] {(byte) 0xE2, (byte) 0x82});
      frames += breaks(url, seen, "truncated UTF-8 at the end", 1007, ws -> ws.queue(RawWs.TEXT, true, truncated));
      // larger than limits.maxFrameBytes: 1009, whole or in fragments, text or binary
      int size = MAX_FRAME_BYTES + 1 + r.nextInt(3 * MAX_FRAME_BYTES);
      frames += breaks(url, seen, "oversize text", 1009, ws -> ws.queue(RawWs.TEXT, true, new byte[size]));
      frames += breaks(url, seen, "oversize binary", 1009, ws -> ws.queue(RawWs.BINARY, true, new byte[size]));
      frames += breaks(url, seen, "oversize in fragments", 1009, ws -> {
        ws.queue(RawWs.TEXT, false, new byte[MAX_FRAME_BYTES / 2]);
        ws.queue(RawWs.CONTINUATION, false, new byte[MAX_FRAME_BYTES / 2]);
        ws.queue(RawWs.CONTINUATION, true, new byte[1 + r.nextInt(100)]);
      });
    }
    for (int round = 0; round < 5; round++) {
      // a single frame of any size above the limit: 1009 and a close frame, read off its header alone
      frames += breaks(url, seen, "frame far above the limit", 1009, ws -> ws.queue(RawWs.TEXT, true, new byte[300 * 1024]));
      // framing violations the transport rejects: the connection is dropped without a close frame (1006)
      frames += breaks(url, seen, "continuation without a start", 1006, ws -> ws.queue(RawWs.CONTINUATION, true, FrameGenerator.utf8("x")));
      frames += breaks(url, seen, "new message inside a fragmented one", 1006, ws -> ws
          .queue(RawWs.TEXT, false, FrameGenerator.utf8("{\"type\":")).queue(RawWs.TEXT, true, FrameGenerator.utf8("{}")));
      frames += breaks(url, seen, "reserved opcode 3", 1006, ws -> ws.queueRaw(0x83, true, FrameGenerator.utf8("x")));
      frames += breaks(url, seen, "reserved opcode 11", 1006, ws -> ws.queueRaw(0x8B, true, FrameGenerator.utf8("x")));
      frames += breaks(url, seen, "RSV1 without an extension", 1006, ws -> ws.queueRaw(0xC1, true, FrameGenerator.utf8("{}")));
      frames += breaks(url, seen, "unmasked client frame", 1006, ws -> ws.queueRaw(0x81, false, FrameGenerator.utf8("{}")));
      frames += breaks(url, seen, "control frame over 125 bytes", 1006, ws -> ws.queue(RawWs.PING, true, new byte[126]));
      frames += breaks(url, seen, "fragmented control frame", 1006, ws -> ws.queue(RawWs.PING, false, new byte[1]));
    }
    System.out.printf("fuzz: %d connection-breaking frames, close codes by case: %s%n", frames, seen);
  }

  interface Sender {
    void send(RawWs ws) throws Exception;
  }

  private static int breaks(String url, Map<String, Integer> seen, String what, int code, Sender sender) throws Exception {
    try (RawWs ws = RawWs.connect(node.port(), url, null)) {
      assertThat(ws.read().text()).contains("welcome");
      sender.send(ws);
      try {
        ws.flush();
      } catch (java.io.IOException e) {
        // the server may close while a large frame is still being written
      }
      int got = ws.awaitClose();
      seen.put(what, got);
      assertThat(got).as(what).isEqualTo(code);
    }
    return 1;
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** 10,000 subscribes on one socket (limit_exceeded past the limit) and 10,000 held by many sockets. */
  @Test
  void tenThousandSubscriptionsOnOneSocketAndOnMany() throws Exception {
    try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token("many", SUB, PUB, 3600), null)) {
      ws.read();
      for (int i = 0; i < 10_000; i++) {
        ws.queueText("{\"type\":\"subscribe\",\"id\":" + i + ",\"channel\":\"fz/k/" + i + "\"}");
      }
      ws.flush();
      int subscribed = 0;
      int exceeded = 0;
      while (subscribed + exceeded < 10_000) {
        JsonObject f = new JsonObject(ws.readText());
        if ("subscribed".equals(f.getString("type"))) {
          assertThat(f.getLong("id")).isLessThan((long) MAX_SUBSCRIPTIONS);
          subscribed++;
        } else if ("error".equals(f.getString("type"))) {
          assertThat(f.getString("code")).isEqualTo("limit_exceeded");
          assertThat(f.getLong("id")).isGreaterThanOrEqualTo((long) MAX_SUBSCRIPTIONS);
          exceeded++;
        }
      }
      assertThat(subscribed).isEqualTo(MAX_SUBSCRIPTIONS);
      assertThat(NodeState.subscriptions(node)).isEqualTo(MAX_SUBSCRIPTIONS);
    }
    NodeState.assertEmpty(node);

    int sockets = (10_000 + MAX_SUBSCRIPTIONS - 1) / MAX_SUBSCRIPTIONS;
    List<RawWs> held = new ArrayList<>();
    try {
      for (int s = 0; s < sockets; s++) {
        // one user on every socket: join events go out once per channel, not once per socket (no reader is
        // concurrent here, so thousands of join frames would close the sockets as slow consumers, 1013)
        RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token("many", SUB, PUB, 3600), null);
        held.add(ws);
        ws.read();
        for (int i = 0; i < MAX_SUBSCRIPTIONS; i++) {
          // half the channels shared by every socket, half the socket's own
          String channel = i % 2 == 0 ? "fz/shared/" + i : "fz/own/" + s + "/" + i;
          ws.queueText("{\"type\":\"subscribe\",\"id\":" + i + ",\"channel\":\"" + channel + "\"}");
        }
        ws.flush();
      }
      for (RawWs ws : held) {
        int ok = 0;
        while (ok < MAX_SUBSCRIPTIONS) {
          JsonObject f = new JsonObject(ws.readText());
          assertThat(f.getString("type")).isIn("subscribed", "join", "leave");
          if ("subscribed".equals(f.getString("type"))) {
            ok++;
          }
        }
      }
      assertThat(NodeState.subscriptions(node)).isEqualTo((double) sockets * MAX_SUBSCRIPTIONS);
      assertThat(NodeState.channels(node)).isEqualTo(MAX_SUBSCRIPTIONS / 2 + sockets * MAX_SUBSCRIPTIONS / 2);
      System.out.printf("fuzz: %d subscriptions held by %d sockets on %d channels%n",
          sockets * MAX_SUBSCRIPTIONS, sockets, NodeState.channels(node));
    } finally {
      held.forEach(RawWs::close);
    }
  }

  /** Many sockets subscribing and unsubscribing the same channels as fast as they can. */
  @Test
  void subscribeUnsubscribeStormsLeaveNothingBehind() throws Exception {
    int sockets = 16;
    int pairs = 1500;
    ExecutorService pool = Executors.newFixedThreadPool(sockets);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int s = 0; s < sockets; s++) {
        int n = s;
        runs.add(pool.submit(() -> {
          try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token("storm-" + (n % 4), SUB, PUB, 3600), null)) {
            ws.read();
            for (int i = 0; i < pairs; i++) {
              String channel = "fz/storm/" + (i % 3);
              String since = i % 5 == 0 ? ",\"since\":{\"offset\":0,\"epoch\":\"x\"}" : "";
              ws.queueText("{\"type\":\"subscribe\",\"id\":" + (2 * i) + ",\"channel\":\"" + channel + "\"" + since + "}");
              ws.queueText("{\"type\":\"unsubscribe\",\"id\":" + (2 * i + 1) + ",\"channel\":\"" + channel + "\"}");
              if (i % 100 == 99) {
                ws.queueText("{\"type\":\"publish\",\"id\":-" + i + ",\"channel\":\"fz/pub/storm\",\"data\":" + i + "}");
              }
            }
            ws.flush();
            long next = 0;
            while (next < 2L * pairs) {
              JsonObject f = new JsonObject(ws.readText());
              String type = f.getString("type");
              if ("join".equals(type) || "leave".equals(type) || "ack".equals(type)) {
                continue;
              }
              assertThat(f.getLong("id")).as(f.encode()).isEqualTo(next);
              assertThat(type).as(f.encode()).isEqualTo(next % 2 == 0 ? "subscribed" : "unsubscribed");
              next++;
            }
            if (n % 2 == 0) {
              ws.queue(RawWs.CLOSE, true, new byte[] {0x03, (byte) 0xe8}).flush();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : runs) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf("fuzz: storm of %,d subscribe/unsubscribe pairs on %d sockets%n", sockets * pairs, sockets);
  }

  /** The default limits (50 frames/s, bursts of 100): a flood is refused frame by frame, then closed. */
  @Test
  void defaultFrameRateLimitRefusesThenClosesAFloodAndLetsAPoliteClientBe() throws Exception {
    try (TestNode defaults = TestNode.start(TestNode.config())) {
      assertThat(defaults.node.config().limits().frameRate()).isEqualTo(50);
      assertThat(defaults.node.config().limits().frameBurst()).isEqualTo(100);
      try (RawWs flood = RawWs.connect(defaults.port(), "/ws?token=" + defaults.token("flood"), null)) {
        flood.read();
        for (int i = 0; i < 1000; i++) {
          flood.queueText("{\"type\":\"ping\",\"id\":" + i + "}");
        }
        flood.flush();
        int pongs = 0;
        int limited = 0;
        RawWs.Frame f;
        while ((f = flood.read()) != null && f.opcode() != RawWs.CLOSE) {
          JsonObject frame = new JsonObject(f.text());
          if ("pong".equals(frame.getString("type"))) {
            pongs++;
          } else {
            assertThat(frame.getString("code")).isEqualTo("rate_limited");
            assertThat(frame.containsKey("id")).isFalse();
            limited++;
          }
        }
        assertThat(f).isNotNull();
        assertThat(f.closeCode()).isEqualTo(1008);
        assertThat(f.closeReason()).isEqualTo("frame rate limit exceeded");
        // the burst, plus what trickled in at 50/s while the flood was read
        assertThat(pongs).isBetween(100, 150);
        assertThat(limited).isGreaterThanOrEqualTo(100);
        System.out.printf("fuzz: default rate limit: %d pongs, %d rate_limited, then close 1008%n", pongs, limited);
      }
      // 40 frames a second for 3 s stays under the limit: every ping answered
      try (RawWs polite = RawWs.connect(defaults.port(), "/ws?token=" + defaults.token("polite"), null)) {
        polite.read();
        for (int i = 0; i < 120; i++) {
          polite.sendText("{\"type\":\"ping\",\"id\":" + i + "}");
          assertThat(new JsonObject(polite.read().text()).getLong("id")).isEqualTo(i);
          Thread.sleep(25);
        }
      }
    }
  }
}
