package dev.apexpulse.reliability;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded generator of client frames: well-formed requests of every type with every field mutated
 * (wrong types, huge and fractional numbers, nulls, arrays, objects), malformed and deeply nested
 * JSON, channel names with "..", "%2F", control characters and non-ASCII, unknown types, binary
 * frames, fragmented messages with control frames between the fragments, subscribe/unsubscribe
 * pairs. Frames are built as text, so values no JSON library writes (1e400, 40-digit integers,
 * duplicate keys) are generated too.
 */
final class FrameGenerator {
  /** One WebSocket message (or control frame) to send. */
  sealed interface Item permits Text, Binary, Ping, Pong {}

  /** A text message, sent in {@code fragments} frames, with {@code pings} ping frames between them. */
  record Text(String text, int fragments, int pings) implements Item {}

  record Binary(byte[] data, int fragments) implements Item {}

  record Ping(byte[] payload) implements Item {}

  record Pong(byte[] payload) implements Item {}

  private static final String[] TYPES = {"subscribe", "unsubscribe", "publish", "presence", "ping", "trigger", "auth", "history"};

  private final SplittableRandom r;
  private final String user;
  private final List<String> tokens;
  private final int maxPublishBytes;
  private final List<String> pool = new ArrayList<>();
  private long ids = 1;

  FrameGenerator(long seed, String user, List<String> tokens, int maxPublishBytes) {
    this.r = new SplittableRandom(seed);
    this.user = user;
    this.tokens = tokens;
    this.maxPublishBytes = maxPublishBytes;
    for (String c : new String[] {"fz/a", "fz/b/c", "fz/pub/x", "fz/pub/y/z", "fz/..", "fz/.", "fz/a.b:c@d-e_f",
        "public/p1", "user/" + user, "fz/pub/" + user}) {
      pool.add(c);
    }
  }

  /** The next item; a subscribe/unsubscribe pair counts as two items, hence the list. */
  List<Item> next() {
    int roll = r.nextInt(1000);
    if (roll < 20) {
      return List.of(new Binary(bytes(r.nextInt(0, 200)), r.nextInt(10) == 0 ? r.nextInt(2, 5) : 1));
    }
    if (roll < 40) {
      return List.of(new Binary(binaryPublish(), r.nextInt(10) == 0 ? r.nextInt(2, 5) : 1));
    }
    if (roll < 30) {
      return List.of(new Ping(bytes(r.nextInt(0, 126))));
    }
    if (roll < 35) {
      return List.of(new Pong(bytes(r.nextInt(0, 20))));
    }
    if (roll < 110) {
      // a storm pair: subscribe and unsubscribe the same channel back to back
      String ch = r.nextBoolean() ? pick(pool) : "fz/s/" + r.nextInt(50);
      return List.of(text(obj("type", q("subscribe"), "id", id(), "channel", q(ch))),
          text(obj("type", q("unsubscribe"), "id", id(), "channel", q(ch))));
    }
    if (roll < 170) {
      return List.of(text(garbage()));
    }
    if (roll < 200) {
      return List.of(text(nested()));
    }
    if (roll < 230) {
      return List.of(text(obj("type", q("ping"), "id", r.nextBoolean() ? hugeNumber() : id(), "n", hugeNumber())));
    }
    if (roll < 270) {
      return List.of(text(unknownType()));
    }
    return List.of(text(request(TYPES[r.nextInt(TYPES.length)])));
  }

  private Text text(String t) {
    int fragments = r.nextInt(8) == 0 ? r.nextInt(2, 6) : 1;
    int pings = fragments > 1 && r.nextInt(3) == 0 ? r.nextInt(1, 3) : 0;
    return new Text(t, fragments, pings);
  }

  /** A binary publish frame, mostly well formed, sometimes with a bad version, length, channel or id. */
  private byte[] binaryPublish() {
    byte[] channel;
    int roll = r.nextInt(10);
    if (roll < 6) {
      channel = utf8(r.nextInt(3) == 0 ? "fz/pub/b" + r.nextInt(3) : pick(pool));
    } else if (roll < 8) {
      channel = utf8(pick(new String[] {"", "a//b", "fz/%2F", "fz/\u0000", "fz/caf\u00e9", "x".repeat(300)}));
    } else {
      channel = new byte[] {'f', 'z', '/', (byte) 0xC3, 0x28}; // not UTF-8
    }
    int payload = r.nextInt(15) == 0 ? maxPublishBytes + r.nextInt(1, 200) : r.nextInt(0, 300);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(11 + channel.length + payload);
    b.put((byte) (r.nextInt(20) == 0 ? 2 : 1));
    int declared = r.nextInt(20) == 0 ? channel.length + r.nextInt(1, 50) + payload : channel.length;
    b.putShort((short) declared);
    b.put(channel);
    b.putLong(r.nextInt(25) == 0 ? -ids++ : ids++); // a negative id: the uint64 is beyond int64
    for (int i = 0; i < payload; i++) {
      b.put((byte) r.nextInt(256));
    }
    return b.array();
  }

  private String request(String type) {
    List<String> f = new ArrayList<>();
    f.add("type");
    f.add(q(type));
    if (r.nextInt(5) != 0) {
      f.add("id");
      f.add(id());
    }
    switch (type) {
      case "subscribe" -> {
        maybe(f, "channel", this::channel, 20);
        if (r.nextInt(3) == 0) {
          f.add("since");
          f.add(since());
        }
      }
      case "unsubscribe", "presence" -> maybe(f, "channel", this::channel, 20);
      case "publish" -> {
        maybe(f, "channel", this::channel, 20);
        maybe(f, "data", this::data, 10);
        if (r.nextInt(4) == 0) {
          f.add("idempotencyKey");
          f.add(idempotencyKey());
        }
      }
      case "history" -> {
        maybe(f, "channel", this::channel, 20);
        if (r.nextInt(2) == 0) {
          f.add("limit");
          f.add(r.nextInt(4) == 0 ? anyValue(1) : Integer.toString(r.nextInt(-2, 26)));
        }
        if (r.nextInt(4) == 0) {
          f.add("since");
          f.add(since());
        }
        if (r.nextInt(4) == 0) {
          f.add("reverse");
          f.add(r.nextInt(3) == 0 ? anyValue(1) : Boolean.toString(r.nextBoolean()));
        }
      }
      case "trigger" -> maybe(f, "job", () -> r.nextBoolean() ? q("job-" + r.nextInt(5)) : anyValue(2), 10);
      case "auth" -> maybe(f, "token", this::token, 10);
      default -> {}
    }
    int extra = r.nextInt(6) == 0 ? r.nextInt(1, 4) : 0;
    for (int i = 0; i < extra; i++) {
      f.add(r.nextInt(10) == 0 ? "type" : "x" + r.nextInt(100)); // sometimes a duplicate type key
      f.add(anyValue(3));
    }
    if (r.nextInt(10) == 0) {
      shuffle(f);
    }
    return obj(f.toArray(new String[0]));
  }

  private void maybe(List<String> f, String name, java.util.function.Supplier<String> value, int absentOneIn) {
    if (r.nextInt(absentOneIn) != 0) {
      f.add(name);
      f.add(value.get());
    }
  }

  private void shuffle(List<String> pairs) {
    for (int i = pairs.size() / 2 - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      String k = pairs.get(2 * i);
      String v = pairs.get(2 * i + 1);
      pairs.set(2 * i, pairs.get(2 * j));
      pairs.set(2 * i + 1, pairs.get(2 * j + 1));
      pairs.set(2 * j, k);
      pairs.set(2 * j + 1, v);
    }
  }

  // ---- field values (raw JSON text) ----

  private String id() {
    long n = ids++;
    return switch (r.nextInt(20)) {
      case 0 -> q(Long.toString(n));                 // string
      case 1 -> n + ".5";                            // fraction
      case 2 -> n + ".0";                            // integral float: an integer
      case 3 -> n + "e0";
      case 4 -> "-" + n;                             // negative: an integer
      case 5 -> r.nextBoolean() ? "true" : "null";
      case 6 -> r.nextBoolean() ? "[" + n + "]" : "{\"id\":" + n + "}";
      case 7 -> hugeNumber();
      default -> Long.toString(n);
    };
  }

  private String hugeNumber() {
    return switch (r.nextInt(9)) {
      case 0 -> "1e400";
      case 1 -> "-1e400";
      case 2 -> "1E-400";
      case 3 -> "9223372036854775807";
      case 4 -> "9223372036854775808";
      case 5 -> "123456789012345678901234567890123456789";
      case 6 -> "9.223372036854775807E18";
      case 7 -> "1" + "0".repeat(r.nextInt(990, 1100)); // around Jackson's 1000-digit limit
      default -> "-0.0";
    };
  }

  private String channel() {
    int roll = r.nextInt(100);
    if (roll < 45) {
      String c = pick(pool);
      return q(r.nextInt(6) == 0 ? "/" + c : c);
    }
    if (roll < 55) {
      return q("fz/r/" + r.nextInt(1_000_000)); // many distinct channels: reaches the subscription limit
    }
    if (roll < 65) {
      return q(pick(new String[] {"steady/ticks", "user/someone-else", "admin/x", "fz", "public/a/b", "FZ/a",
          "fz2/a", "user/" + user + "/private", "user/" + user.toUpperCase()}));
    }
    if (roll < 90) {
      return q(pick(new String[] {"", "/", "//", "a//b", "fz/", "fz//a", "../fz/a", "fz/../../admin", "%2F", "fz%2Fa",
          "fz/a%2F..", "fz/%2e%2e", "fz/a\\u0000", "fz/\\u0001b", "fz/a\\tb", "fz/a\\nb", "fz/a b", "fz/caf\\u00e9",
          "fz/\\ud83d\\ude00", "fz/\\ud800", "fz/*", "fz/**", "*", "fz/a?b", "fz/a#b", "fz/a\\\\b", "fz/a\\\"b",
          "x".repeat(256), "fz/" + "y".repeat(252), "a/".repeat(16) + "a", "a/".repeat(15) + "a",
          "\\u202efz/a", "fz/a\\u0085"}));
    }
    return anyValue(2);
  }

  /** Mostly a few valid keys (so repeats happen), sometimes a bad one. */
  private String idempotencyKey() {
    return switch (r.nextInt(10)) {
      case 0 -> q("");
      case 1 -> q("k".repeat(65));
      case 2 -> anyValue(1);
      case 3 -> q("k".repeat(64));
      default -> q("key-" + r.nextInt(5));
    };
  }

  private String since() {
    return switch (r.nextInt(14)) {
      case 0 -> "null";
      case 1 -> q("yesterday");
      case 2 -> "41";
      case 3 -> "[41,\"e\"]";
      case 4 -> "{\"offset\":-1,\"epoch\":\"e\"}";
      case 5 -> "{\"offset\":1.5,\"epoch\":\"e\"}";
      case 6 -> "{\"offset\":\"1\",\"epoch\":\"e\"}";
      case 7 -> "{\"offset\":1}";
      case 8 -> "{\"epoch\":\"e\"}";
      case 9 -> "{\"offset\":" + hugeNumber() + ",\"epoch\":\"e\"}";
      case 10 -> "{\"offset\":1,\"epoch\":5}";
      case 11 -> "{\"offset\":null,\"epoch\":\"e\"}";
      default -> "{\"offset\":" + r.nextInt(0, 100) + ",\"epoch\":" + q(r.nextBoolean() ? "e" + r.nextInt(5) : "") + "}";
    };
  }

  private String data() {
    int roll = r.nextInt(20);
    if (roll == 0) {
      return q("x".repeat(maxPublishBytes + r.nextInt(1, 500))); // too large
    }
    if (roll == 1) {
      return q("\\u00e9".repeat(maxPublishBytes / 2 + 50)); // too large in UTF-8 bytes only
    }
    if (roll == 2) {
      return hugeNumber().length() > 500 ? "1e400" : hugeNumber();
    }
    return anyValue(4);
  }

  private String token() {
    if (r.nextInt(4) == 0 || tokens.isEmpty()) {
      return r.nextBoolean() ? anyValue(2) : q(pick(new String[] {"", "x", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "..", "x".repeat(9000)}));
    }
    return q(tokens.get(r.nextInt(tokens.size())));
  }

  private String anyValue(int depth) {
    int roll = r.nextInt(depth <= 0 ? 6 : 9);
    return switch (roll) {
      case 0 -> "null";
      case 1 -> r.nextBoolean() ? "true" : "false";
      case 2 -> Integer.toString(r.nextInt(-1000, 1000));
      case 3 -> r.nextDouble() * 1e6 + "";
      case 4 -> q(word());
      case 5 -> q("\\u0000\\u001f\\\\\\\"\\ud83d\\ude00" + word());
      case 6 -> {
        StringBuilder b = new StringBuilder("[");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append(anyValue(depth - 1));
        }
        yield b.append(']').toString();
      }
      default -> {
        StringBuilder b = new StringBuilder("{");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append(q("k" + i)).append(':').append(anyValue(depth - 1));
        }
        yield b.append('}').toString();
      }
    };
  }

  private String garbage() {
    return switch (r.nextInt(16)) {
      case 0 -> "";
      case 1 -> "{";
      case 2 -> "}";
      case 3 -> "[1,2]";
      case 4 -> Integer.toString(r.nextInt());
      case 5 -> q("text");
      case 6 -> "null";
      case 7 -> "{\"type\":";
      case 8 -> "{'type':'ping'}";
      case 9 -> "{\"type\":\"ping\"} {}";
      case 10 -> "{\"type\":\"ping\",}";
      case 11 -> "{\"type\":\"ping\"\u0000}";
      case 12 -> "{\"type\":NaN}";
      case 13 -> word();
      case 14 -> {
        // a valid frame cut at a random point
        String t = request(TYPES[r.nextInt(TYPES.length)]);
        yield t.substring(0, r.nextInt(t.length()));
      }
      default -> "\ufeff{\"type\":\"ping\"}"; // a byte order mark is not JSON whitespace
    };
  }

  private String nested() {
    int depth = r.nextBoolean() ? r.nextInt(1, 1200) : r.nextInt(990, 1010);
    boolean arrays = r.nextBoolean();
    String open = arrays ? "[" : "{\"a\":";
    String close = arrays ? "]" : "}";
    String inner = open.repeat(depth) + (arrays ? "" : "1") + close.repeat(depth);
    return obj("type", q("ping"), "id", id(), "deep", inner);
  }

  private String unknownType() {
    return switch (r.nextInt(8)) {
      case 0 -> obj("id", id());
      case 1 -> obj("type", "null", "id", id());
      case 2 -> obj("type", Integer.toString(r.nextInt(10)), "id", id());
      case 3 -> obj("type", "[\"ping\"]", "id", id());
      case 4 -> obj("type", q("PING"), "id", id());
      case 5 -> obj("type", q(" ping"), "id", id());
      case 6 -> obj("type", q("x".repeat(r.nextInt(1, 3000))), "id", id());
      default -> obj("type", q(word()), "id", id());
    };
  }

  // ---- helpers ----

  private String word() {
    int n = r.nextInt(0, 12);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append((char) ('a' + r.nextInt(26)));
    }
    return b.toString();
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  private <T> T pick(List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  private <T> T pick(T[] list) {
    return list[r.nextInt(list.length)];
  }

  /** A JSON string literal of already-escaped content (the generators write escapes on purpose). */
  static String q(String escaped) {
    return "\"" + escaped + "\"";
  }

  static String obj(String... pairs) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      b.append(i > 0 ? "," : "").append('"').append(pairs[i]).append("\":").append(pairs[i + 1]);
    }
    return b.append('}').toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
