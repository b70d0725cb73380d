package dev.apexpulse.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A real WebSocket client for tests, with blocking helpers; frames are queued as they arrive. */
public final class WsClient implements AutoCloseable {
  private static final long WAIT_SECONDS = 10;

  public WebSocket ws;
  private final WebSocketClient client;
  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private final AtomicLong ids = new AtomicLong();
  private final Map<JsonObject, String> texts = Collections.synchronizedMap(new IdentityHashMap<>());
  private volatile boolean keepTexts;

  private WsClient(WebSocketClient client) {
    this.client = client;
  }

  private void attach(WebSocket socket) {
    ws = socket;
    socket.textMessageHandler(text -> {
      JsonObject f = new JsonObject(text);
      if (keepTexts) {
        texts.put(f, text);
      }
      frames.add(f);
    });
    // binary frames join the same queue, in arrival order, as {"type":"message","binary":true,…}
    socket.binaryMessageHandler(b -> frames.add(decodeBinary(b.getBytes())));
    socket.closeHandler(v -> closed.complete(socket.closeStatusCode()));
  }

  public static WsClient connect(Vertx vertx, String url) {
    return connect(vertx, url, null);
  }

  public static WsClient connect(Vertx vertx, String url, String origin) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 22));
    // like a non-browser client, no Origin unless a test plays a browser page
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(url).setAllowOriginHeader(false);
    if (origin != null) {
      options.addHeader("Origin", origin);
    }
    try {
      WsClient c = new WsClient(client);
      // handlers are set before the handshake: a server may send frames and close at once
      ClientWebSocket socket = client.webSocket();
      c.attach(socket);
      try {
        socket.connect(options).await(WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (IllegalStateException e) {
        // the server answered and closed before the connect future completed: frames are queued,
        // and the close handler runs right after
        try {
          c.closed.get(2, TimeUnit.SECONDS);
        } catch (Exception notClosed) {
          throw e;
        }
      }
      return c;
    } catch (Exception e) {
      client.close();
      throw new IllegalStateException("cannot connect to " + url.replaceAll("token=[^&]+", "token=…") + ": " + e.getMessage(), e);
    }
  }

  /** Connects and waits for the welcome frame. */
  public static WsClient open(Vertx vertx, String url) {
    WsClient c = connect(vertx, url);
    c.next("welcome");
    return c;
  }

  /** Keeps the text of every frame from now on, as it arrived ({@link #text}). */
  public WsClient keepTexts() {
    keepTexts = true;
    return this;
  }

  /** A frame's text as it arrived (after {@link #keepTexts}). */
  public String text(JsonObject frame) {
    return texts.get(frame);
  }

  /** Presence events arrive whenever users come and go; most tests look past them. */
  private static boolean isPresenceEvent(JsonObject f) {
    return "join".equals(f.getString("type")) || "leave".equals(f.getString("type"));
  }

  public void send(JsonObject frame) {
    ws.writeTextMessage(frame.encode());
  }

  /**
   * A server binary frame as a queue entry: type message, binary true, channel, offset and the payload
   * under {@code bytes} ({@link JsonObject#getBinary}). A frame that does not parse has type
   * {@code bad_binary}.
   */
  public static JsonObject decodeBinary(byte[] f) {
    if (f.length < 11 || f[0] != 1) {
      return new JsonObject().put("type", "bad_binary").put("bytes", f);
    }
    int n = ((f[1] & 0xff) << 8) | (f[2] & 0xff);
    if (f.length < 11 + n) {
      return new JsonObject().put("type", "bad_binary").put("bytes", f);
    }
    long offset = java.nio.ByteBuffer.wrap(f, 3 + n, 8).getLong();
    return new JsonObject().put("type", "message").put("binary", true)
        .put("channel", new String(f, 3, n, java.nio.charset.StandardCharsets.UTF_8)).put("offset", offset)
        .put("bytes", java.util.Arrays.copyOfRange(f, 11 + n, f.length));
  }

  /** The binary frame layout: version 1, channel length, channel, offset (the request id client → server), payload. */
  public static byte[] encodeBinary(String channel, long offset, byte[] payload) {
    byte[] ch = channel.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return java.nio.ByteBuffer.allocate(11 + ch.length + payload.length).put((byte) 1).putShort((short) ch.length)
        .put(ch).putLong(offset).put(payload).array();
  }

  public void sendBinary(byte[] frame) {
    ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(frame));
  }

  /** Publishes bytes in a binary frame with a fresh id and returns the JSON reply. */
  public JsonObject publishBinary(String channel, byte[] payload) {
    long id = ids.incrementAndGet() + 1000;
    sendBinary(encodeBinary(channel, id, payload));
    return replyTo(id);
  }

  public void sendText(String text) {
    ws.writeTextMessage(text);
  }

  /** Sends a request with a fresh id and returns the reply carrying that id. */
  public JsonObject request(JsonObject frame) {
    long id = ids.incrementAndGet() + 1000;
    send(frame.copy().put("id", id));
    return replyTo(id);
  }

  public JsonObject replyTo(long id) {
    List<JsonObject> skipped = new ArrayList<>();
    try {
      while (true) {
        JsonObject f = poll();
        if (f.getValue("id") instanceof Number n && n.longValue() == id) {
          frames.addAll(skipped);
          return f;
        }
        skipped.add(f);
      }
    } catch (AssertionError e) {
      throw new AssertionError("no reply to request " + id + "; got " + skipped, e);
    }
  }

  public JsonObject subscribe(String channel) {
    return request(new JsonObject().put("type", "subscribe").put("channel", channel));
  }

  public JsonObject publish(String channel, Object data) {
    return request(new JsonObject().put("type", "publish").put("channel", channel).put("data", data));
  }

  /** The next frame of any type. */
  public JsonObject poll() {
    return poll(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  public JsonObject poll(long time, TimeUnit unit) {
    try {
      JsonObject f = frames.poll(time, unit);
      if (f == null) {
        throw new AssertionError("no frame within " + time + " " + unit);
      }
      return f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame, asserting its type. */
  public JsonObject next(String type) {
    JsonObject f = poll();
    while (!isPresenceEvent(new JsonObject().put("type", type)) && isPresenceEvent(f)) {
      f = poll();
    }
    if (!type.equals(f.getString("type"))) {
      throw new AssertionError("expected a " + type + " frame, got " + f);
    }
    return f;
  }

  /** Frames that arrive within the given time (none expected: returns what came). */
  public List<JsonObject> drain(long millis) {
    List<JsonObject> out = new ArrayList<>();
    long end = System.currentTimeMillis() + millis;
    try {
      while (true) {
        long left = end - System.currentTimeMillis();
        JsonObject f = left <= 0 ? frames.poll() : frames.poll(left, TimeUnit.MILLISECONDS);
        if (f == null) {
          return out;
        }
        out.add(f);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return out;
    }
  }

  /** Waits for the server to close the socket and returns the close code. */
  public short awaitClose() {
    try {
      return closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("socket not closed within " + WAIT_SECONDS + " s", e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      try {
        ws.close().await(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // already gone
      }
    }
    client.close();
  }
}
