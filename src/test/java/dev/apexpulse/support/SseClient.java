package dev.apexpulse.support;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An event-stream client for tests over a plain socket, so that a test sees the wire: the response head,
 * the chunking, each event's fields, comment lines, the end of the body. Frames (the {@code data} of each
 * event) are queued as they arrive; {@link #request} POSTs a frame to the stream's session and waits for
 * the reply on the stream.
 */
public final class SseClient implements AutoCloseable {
  private static final long WAIT_SECONDS = 10;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Object END = new Object();

  public final int status;
  /** Response headers, names in lower case. */
  public final Map<String, String> headers;
  /** The body of a refused request (not an event stream). */
  public final String body;
  /** Field names other than {@code data} seen in events (a plain message event has none). */
  public final List<String> otherFields = new ArrayList<>();
  public final AtomicInteger comments = new AtomicInteger();
  /** Whether a chunked body ended with its last chunk (a clean end) rather than a cut connection. */
  public volatile boolean endedCleanly;
  public String session;

  private final String base;
  private final Socket socket;
  private final InputStream in;
  private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final AtomicLong ids = new AtomicLong();
  private String origin;
  private boolean afterCr;

  private SseClient(String base, Socket socket, InputStream in, int status, Map<String, String> headers, String body) {
    this.base = base;
    this.socket = socket;
    this.in = in;
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** Opens {@code GET pathAndQuery} over HTTP/1.1 and starts reading; waits for nothing. */
  public static SseClient connect(int port, String pathAndQuery, Map<String, String> requestHeaders) {
    return connect(port, pathAndQuery, requestHeaders, false, 0, true);
  }

  /**
   * @param http10        send an HTTP/1.0 request (as nginx does towards upstreams by default)
   * @param receiveBuffer the socket's receive buffer (0: the system's)
   * @param read          whether to read the events (false: a client that never reads after the head)
   */
  public static SseClient connect(int port, String pathAndQuery, Map<String, String> requestHeaders, boolean http10,
                                  int receiveBuffer, boolean read) {
    try {
      Socket socket = new Socket();
      if (receiveBuffer > 0) {
        socket.setReceiveBufferSize(receiveBuffer);
      }
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(0);
      StringBuilder req = new StringBuilder("GET ").append(pathAndQuery).append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n")
          .append("Host: 127.0.0.1:").append(port).append("\r\nAccept: text/event-stream\r\n");
      requestHeaders.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      OutputStream out = socket.getOutputStream();
      out.write(req.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream raw = socket.getInputStream();
      String statusLine = line(raw);
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(raw); !h.isEmpty(); h = line(raw)) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(), h.substring(colon + 1).trim());
      }
      boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
      InputStream body = chunked ? new Chunked(raw) : raw;
      String base = "http://127.0.0.1:" + port;
      if (status != 200) {
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        String text = new String(body.readNBytes(length), StandardCharsets.UTF_8);
        socket.close();
        return new SseClient(base, socket, body, status, headers, text);
      }
      SseClient c = new SseClient(base, socket, body, status, headers, null);
      c.origin = requestHeaders.get("Origin");
      if (read) {
        Thread t = new Thread(c::readEvents, "sse-client");
        t.setDaemon(true);
        t.start();
      }
      return c;
    } catch (IOException e) {
      throw new IllegalStateException("cannot open " + pathAndQuery.replaceAll("token=[^&]+", "token=…"), e);
    }
  }

  /** Opens a stream and waits for its welcome; keeps the session id for the POSTs. */
  public static SseClient open(int port, String query) {
    SseClient c = connect(port, "/sse?" + query, Map.of());
    c.welcome();
    return c;
  }

  public JsonObject welcome() {
    JsonObject w = next("welcome");
    session = w.getString("session");
    return w;
  }

  /** Sends frames as a page would from {@link #origin}: the body as it is, JSON. */
  public Http.Response post(String body) {
    return post(session, body, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  public Http.Response post(String sessionId, String label, String contentType, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/sse/" + sessionId)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (origin != null) {
      b.header("Origin", origin);
    }
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Http.Response(r.statusCode(), r.body());
    } catch (Exception e) {
      throw new IllegalStateException("POST " + label + " failed", e);
    }
  }

  /** POSTs a frame with a fresh id (202 expected) and returns its reply from the stream. */
  public JsonObject request(JsonObject frame) {
    long id = ids.incrementAndGet() + 1000;
    Http.Response r = post(frame.copy().put("id", id).encode());
    if (r.status() != 202) {
      throw new AssertionError("POST answered " + r.status() + " " + r.body());
    }
    return replyTo(id);
  }

  public JsonObject subscribe(String channel) {
    return request(new JsonObject().put("type", "subscribe").put("channel", channel));
  }

  public JsonObject publish(String channel, Object data) {
    return request(new JsonObject().put("type", "publish").put("channel", channel).put("data", data));
  }

  public JsonObject replyTo(long id) {
    List<JsonObject> skipped = new ArrayList<>();
    while (true) {
      JsonObject f = poll();
      if (f.getValue("id") instanceof Number n && n.longValue() == id) {
        List<Object> rest = new ArrayList<>(skipped);
        frames.drainTo(rest);
        frames.addAll(rest);
        return f;
      }
      skipped.add(f);
    }
  }

  /** The next frame of any type. */
  public JsonObject poll() {
    try {
      Object f = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      if (f == null) {
        throw new AssertionError("no frame within " + WAIT_SECONDS + " s");
      }
      if (f == END) {
        frames.add(END);
        throw new AssertionError("the stream ended");
      }
      return (JsonObject) f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame past presence events, asserting its type. */
  public JsonObject next(String type) {
    JsonObject f = poll();
    while (!type.equals("join") && !type.equals("leave") && ("join".equals(f.getString("type")) || "leave".equals(f.getString("type")))) {
      f = poll();
    }
    if (!type.equals(f.getString("type"))) {
      throw new AssertionError("expected a " + type + " frame, got " + f);
    }
    return f;
  }

  /** Waits until the body ended (cleanly or not). */
  public void awaitEnd() {
    try {
      if (!ended.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("stream not ended within " + WAIT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public boolean isEnded() {
    return ended.getCount() == 0;
  }

  /** Reads one byte of the body (for a client that did not read so far); -1 at the end. */
  public int readByte() throws IOException {
    return in.read();
  }

  private void readEvents() {
    try {
      List<String> data = new ArrayList<>();
      for (String line = bodyLine(); line != null; line = bodyLine()) {
        if (line.isEmpty()) {
          if (!data.isEmpty()) {
            frames.add(new JsonObject(String.join("\n", data)));
            data.clear();
          }
        } else if (line.startsWith(":")) {
          comments.incrementAndGet();
        } else if (line.startsWith("data:")) {
          data.add(line.substring(line.startsWith("data: ") ? 6 : 5));
        } else {
          otherFields.add(line);
        }
      }
      endedCleanly = !(in instanceof Chunked c) || c.last;
    } catch (IOException e) {
      // cut: not a clean end
    } finally {
      frames.add(END);
      ended.countDown();
    }
  }

  /** A line of the body: ends at LF, CR or CRLF (the event-stream rules); null at the end. */
  private String bodyLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) {
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
      }
      boolean lfOfCrlf = c == '\n' && afterCr && b.size() == 0;
      afterCr = c == '\r';
      if (lfOfCrlf) {
        continue;
      }
      if (c == '\n' || c == '\r') {
        return b.toString(StandardCharsets.UTF_8);
      }
      b.write(c);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // gone
    }
  }

  /** The body of a chunked response; {@link #last} once the last chunk came. */
  private static final class Chunked extends InputStream {
    private final InputStream raw;
    private int left;
    boolean last;

    Chunked(InputStream raw) {
      this.raw = raw;
    }

    @Override
    public int read() throws IOException {
      if (last) {
        return -1;
      }
      if (left == 0) {
        String size = line(raw);
        if (size.isEmpty()) {
          size = line(raw); // the CRLF after the previous chunk's data
        }
        left = Integer.parseInt(size.trim(), 16);
        if (left == 0) {
          line(raw);
          last = true;
          return -1;
        }
      }
      int c = raw.read();
      if (c < 0) {
        throw new IOException("connection cut inside a chunk");
      }
      left--;
      return c;
    }
  }
}
