package dev.apexpulse.transport.sse;

import dev.apexpulse.channel.Shard;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.transport.Connection;
import dev.apexpulse.transport.DirectWriteQueue;
import dev.apexpulse.transport.Endpoint;
import dev.apexpulse.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.ConnectionBase;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Server-Sent Events stream as a transport: the response to {@code GET /sse}, which never ends until the
 * connection does. It owns the HTTP connection from its head on: head and events are written below Vert.x's
 * HTTP encoder, so shared events ({@link SseFormat}) cost no copy and no object per delivery, as on a
 * WebSocket; the flush is left to the shard. The client's frames arrive by {@code POST /sse/<session>} and
 * are fed to the endpoint by whoever received them, on this stream's event loop.
 *
 * <p>The endpoint's {@code welcome} frames get one more field, {@code "session"}: the id the client POSTs
 * to, which only this stream knows (the session itself stays the same for every transport). A server-side
 * close is a last frame {@code {"type":"close","code":…,"reason":…}}, then the end of the body. Runs on its
 * event loop only.
 */
public final class SseTransport implements Transport, Connection {
  private static final String WELCOME = "{\"type\":\"welcome\"";
  private static final int FLUSH_THRESHOLD_BYTES = 32 * 1024;
  /** How long a closing stream may take to flush its last frame before the connection is cut. */
  private static final long CLOSING_TIMEOUT_MILLIS = 5_000;

  private final HttpServerRequest request;
  /** Writes from here skip Vert.x's HTTP encoder: the bytes go out as they are. */
  private final ChannelHandlerContext out;
  /** HTTP/1.1: chunked; HTTP/1.0 (nginx's default towards upstreams): the body ends with the connection. */
  private final boolean chunked;
  private final String session;
  private final Shard shard;
  private final Consumer<Connection> ended;
  private final Shard.Flushable flusher = this::flush;
  private Endpoint endpoint;
  private int unflushedBytes;
  private boolean flushPending;
  private boolean closed;

  /**
   * @param session the stream's unguessable id, announced in {@code welcome}
   * @param ended   told when the stream ended, however (more than once is fine)
   */
  public SseTransport(HttpServerRequest request, String session, Shard shard, int maxQueuedBytes, Consumer<Connection> ended) {
    this.request = request;
    ChannelHandlerContext connection = ((ConnectionBase) request.connection()).channelHandlerContext();
    this.out = connection.pipeline().context(HttpResponseEncoder.class);
    this.chunked = request.version() != HttpVersion.HTTP_1_0;
    this.session = session;
    this.shard = shard;
    this.ended = ended;
    connection.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(maxQueuedBytes / 2, maxQueuedBytes));
  }

  /**
   * Answers the request with the stream's head and starts feeding the endpoint. {@code allowOrigin}: the
   * page origin that may read the stream cross-origin (CORS), or null.
   */
  public void start(Endpoint endpoint, String allowOrigin) {
    this.endpoint = endpoint;
    DirectWriteQueue.install(request.connection());
    request.connection().closeHandler(v -> {
      closed = true;
      endpoint.onClosed();
      ended.accept(this);
    });
    out.writeAndFlush(Unpooled.wrappedBuffer(head(allowOrigin).getBytes(StandardCharsets.US_ASCII)), out.voidPromise());
  }

  private String head(String allowOrigin) {
    StringBuilder h = new StringBuilder(256).append("HTTP/1.1 200 OK\r\n")
        .append("Content-Type: text/event-stream\r\n")
        // no cache may keep it, no proxy may transform (compress) it; nginx: do not buffer it
        .append("Cache-Control: no-cache, no-store, no-transform\r\n")
        .append("X-Accel-Buffering: no\r\n")
        .append("Connection: close\r\n");
    if (chunked) {
      h.append("Transfer-Encoding: chunked\r\n");
    }
    if (allowOrigin != null) {
      h.append("Access-Control-Allow-Origin: ").append(allowOrigin).append("\r\n").append("Vary: Origin\r\n");
    }
    return h.append("\r\n").toString();
  }

  /** The id the client POSTs its frames to. */
  public String session() {
    return session;
  }

  @Override
  public String kind() {
    return "sse";
  }

  @Override
  public WireFormat format() {
    return SseFormat.INSTANCE;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  /**
   * Writes a comment line. The client's liveness cannot be told from here (it only reads); a dead peer
   * shows as a failed write, which closes the connection.
   */
  @Override
  public void heartbeat(long nowNanos, long silentLimitNanos) {
    if (!closed) {
      out.writeAndFlush(EventChunk.heartbeat(chunked), out.voidPromise());
      unflushedBytes = 0;
    }
  }

  // ---- outbound ----

  @Override
  public boolean writable() {
    if (out.channel().isWritable()) {
      return true;
    }
    unflushedBytes = 0;
    out.flush();
    return out.channel().isWritable();
  }

  @Override
  public void write(ByteBuf frame) {
    if (closed) {
      return;
    }
    // the event bytes are shared by every stream; each write gets its own read index over them
    out.write(chunked ? frame.duplicate() : EventChunk.event(frame), out.voidPromise());
    unflushedBytes += frame.readableBytes();
    if (unflushedBytes > FLUSH_THRESHOLD_BYTES) {
      flush();
    } else if (!flushPending) {
      flushPending = true;
      shard.flushLater(flusher);
    }
  }

  @Override
  public void send(String json) {
    if (closed) {
      return;
    }
    if (json.startsWith(WELCOME)) {
      json = WELCOME + ",\"session\":\"" + session + '"' + json.substring(WELCOME.length());
    }
    out.writeAndFlush(EventChunk.single(json, chunked), out.voidPromise());
    unflushedBytes = 0; // the flush took the events queued before it along
  }

  @Override
  public void flush() {
    flushPending = false;
    if (unflushedBytes > 0) {
      unflushedBytes = 0;
      out.flush();
    }
  }

  /**
   * Ends the stream: a {@code close} frame with the code and reason, the end of the body, then the
   * connection. A client that does not read is cut at once: its queue is full, nothing would reach it.
   */
  @Override
  public void close(short code, String reason) {
    if (!closed) {
      closed = true;
      if (!out.channel().isWritable()) {
        out.channel().close();
      } else {
        out.write(EventChunk.single(new JsonObject().put("type", "close").put("code", code).put("reason", reason).encode(),
            chunked), out.voidPromise());
        if (chunked) {
          out.write(EventChunk.last(), out.voidPromise());
        }
        out.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        out.executor().schedule(() -> out.channel().close(), CLOSING_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      }
    }
    ended.accept(this);
  }
}
