package dev.apexpulse.reliability;

import dev.apexpulse.reliability.ProtocolOracle.Expected;
import dev.apexpulse.support.RawWs;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One fuzzing socket: sends generated items in pipelined batches and checks every server frame
 * against the oracle: each request gets exactly its documented reply (matched by id, or in order
 * among replies without id), control pings get pongs with the same payload, and message frames
 * arrive only on channels the socket is subscribed to, with strictly increasing offsets.
 */
final class FuzzConnection implements AutoCloseable {
  private final RawWs ws;
  private final ProtocolOracle oracle;
  private final SplittableRandom random;
  private final Map<Long, List<Expected>> byId = new HashMap<>();
  private final List<Expected> withoutId = new ArrayList<>();
  private final ArrayDeque<byte[]> pongs = new ArrayDeque<>();
  private final Set<String> subscribedView = new HashSet<>();
  private final Map<String, Long> lastOffset = new HashMap<>();
  private final ArrayDeque<String> recent = new ArrayDeque<>();
  FrameGenerator generator;
  final Map<String, Long> coverage = new java.util.TreeMap<>();
  long messages;      // client messages sent (a fragmented message counts once)
  long wireFrames;    // WebSocket frames sent, fragments and control frames included
  long delivered;     // message frames received

  FuzzConnection(RawWs ws, ProtocolOracle oracle, long seed) {
    this.ws = ws;
    this.oracle = oracle;
    this.random = new SplittableRandom(seed);
  }

  private int outstanding() {
    int n = withoutId.size() + pongs.size();
    for (List<Expected> l : byId.values()) {
      n += l.size();
    }
    return n;
  }

  /** Queues one item and records what it must be answered with. */
  void queue(FrameGenerator.Item item) {
    messages++;
    if (item instanceof FrameGenerator.Text t) {
      byte[] bytes = FrameGenerator.utf8(t.text());
      fragments(RawWs.TEXT, bytes, t.fragments(), t.pings());
      expect(oracle.text(t.text()));
      remember(t.text());
    } else if (item instanceof FrameGenerator.Binary b) {
      fragments(RawWs.BINARY, b.data(), b.fragments(), 0);
      expect(oracle.binary(b.data()));
      remember("<binary " + b.data().length + " bytes>");
    } else if (item instanceof FrameGenerator.Ping p) {
      ws.queue(RawWs.PING, true, p.payload());
      wireFrames++;
      pongs.add(p.payload());
    } else if (item instanceof FrameGenerator.Pong p) {
      ws.queue(RawWs.PONG, true, p.payload());
      wireFrames++;
    }
  }

  private void remember(String text) {
    recent.add(text.length() > 300 ? text.substring(0, 300) + "…(" + text.length() + ")" : text);
    if (recent.size() > 20) {
      recent.poll();
    }
  }

  private void fragments(int opcode, byte[] bytes, int count, int pings) {
    if (count <= 1 || bytes.length < 2) {
      ws.queue(opcode, true, bytes);
      wireFrames++;
      return;
    }
    int[] cuts = new int[count - 1];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = random.nextInt(0, bytes.length + 1); // empty fragments are legal
    }
    Arrays.sort(cuts);
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      ws.queue(i == 0 ? opcode : RawWs.CONTINUATION, i == cuts.length, Arrays.copyOfRange(bytes, from, to));
      wireFrames++;
      from = to;
      if (pings > 0 && i < cuts.length) {
        byte[] payload = FrameGenerator.utf8("p" + random.nextInt(1000));
        ws.queue(RawWs.PING, true, payload); // control frames may come between fragments
        wireFrames++;
        pongs.add(payload);
        pings--;
      }
    }
  }

  private void expect(Expected e) {
    coverage.merge(e.code() != null ? "error:" + e.code() : e.type(), 1L, Long::sum);
    if (e.id() == null) {
      withoutId.add(e);
    } else {
      byId.computeIfAbsent(e.id(), k -> new ArrayList<>()).add(e);
    }
  }

  /** Sends what was queued and reads until every expectation is met. */
  void flushAndCheck(long timeoutMillis) throws IOException {
    ws.flush();
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (outstanding() > 0) {
      if (System.currentTimeMillis() > deadline) {
        throw failure("replies missing after " + timeoutMillis + " ms: " + describeOutstanding());
      }
      RawWs.Frame f;
      try {
        f = ws.read();
      } catch (SocketTimeoutException e) {
        throw failure("no frame within the socket timeout; missing " + describeOutstanding());
      }
      if (f == null) {
        throw failure("connection ended; missing " + describeOutstanding());
      }
      check(f);
    }
  }

  private void check(RawWs.Frame f) {
    switch (f.opcode()) {
      case RawWs.PONG -> {
        byte[] want = pongs.poll();
        if (want == null || !Arrays.equals(want, f.payload())) {
          throw failure("unexpected pong " + f.text());
        }
      }
      case RawWs.PING -> { } // a server heartbeat; answering is not needed while we keep sending
      case RawWs.CLOSE -> throw failure("server closed with " + f.closeCode() + " " + f.closeReason());
      case RawWs.TEXT -> onText(new JsonObject(f.text()));
      case RawWs.BINARY -> onBinaryMessage(f.payload());
      default -> throw failure("unexpected frame opcode " + f.opcode());
    }
  }

  /** A binary message: version, channel length, channel, offset, payload (docs "Binary frames"). */
  private void onBinaryMessage(byte[] b) {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
    if (b.length < 11 || buf.get() != 1) {
      throw failure("malformed binary frame from the server: " + b.length + " bytes");
    }
    int n = buf.getShort() & 0xffff;
    String channel = new String(b, 3, n, java.nio.charset.StandardCharsets.UTF_8);
    long offset = java.nio.ByteBuffer.wrap(b, 3 + n, 8).getLong();
    onText(new JsonObject().put("type", "message").put("channel", channel).put("offset", offset));
  }

  private void onText(JsonObject f) {
    String type = f.getString("type");
    if ("message".equals(type)) {
      String channel = f.getString("channel");
      if (!subscribedView.contains(channel)) {
        throw failure("message for " + channel + ", which this socket is not subscribed to: " + f);
      }
      long offset = f.getLong("offset");
      Long last = lastOffset.put(channel, offset);
      if (last != null && offset <= last) {
        throw failure("offset " + offset + " after " + last + " on " + channel);
      }
      delivered++;
      return;
    }
    if ("join".equals(type) || "leave".equals(type)) {
      return;
    }
    Object rawId = f.getValue("id");
    List<Expected> candidates = rawId instanceof Number n ? byId.get(n.longValue()) : withoutId;
    Expected hit = null;
    if (candidates != null) {
      for (Iterator<Expected> it = candidates.iterator(); it.hasNext(); ) {
        Expected e = it.next();
        if (e.matches(f)) {
          hit = e;
          it.remove();
          break;
        }
      }
      if (rawId instanceof Number n && candidates.isEmpty()) {
        byId.remove(n.longValue());
      }
    }
    if (hit == null) {
      throw failure("unexpected reply " + f.encode() + "; expected one of " + describeOutstanding());
    }
    if ("subscribed".equals(type)) {
      subscribedView.add(f.getString("channel"));
    } else if ("unsubscribed".equals(type)) {
      subscribedView.remove(f.getString("channel"));
    }
  }

  private String describeOutstanding() {
    List<String> out = new ArrayList<>();
    withoutId.forEach(e -> out.add(e.toString()));
    byId.values().forEach(l -> l.forEach(e -> out.add(e.toString())));
    if (!pongs.isEmpty()) {
      out.add(pongs.size() + " pong(s)");
    }
    return out.size() > 12 ? out.subList(0, 12) + " … (" + out.size() + ")" : out.toString();
  }

  private AssertionError failure(String what) {
    return new AssertionError(what + "\nlast frames sent:\n  " + String.join("\n  ", recent));
  }

  /** Closes cleanly (close frame, expecting the echo) or by dropping the TCP connection. */
  void finish(boolean clean) throws IOException {
    if (clean) {
      ws.queue(RawWs.CLOSE, true, new byte[] {0x03, (byte) 0xe8});
      ws.flush();
      RawWs.Frame f;
      while ((f = ws.read()) != null && f.opcode() != RawWs.CLOSE) {
        // messages still in flight
      }
    }
    ws.close();
  }

  @Override
  public void close() {
    ws.close();
  }
}
