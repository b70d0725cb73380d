package dev.apexpulse.transport.websocket;

import dev.apexpulse.channel.Shard;
import dev.apexpulse.core.CloseCode;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.protocol.Utf8;
import dev.apexpulse.transport.Connection;
import dev.apexpulse.transport.Endpoint;
import dev.apexpulse.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.internal.http.WebSocketInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.CharacterCodingException;
import java.util.function.Consumer;

/**
 * A WebSocket as a transport: reassembles fragmented messages, checks their size and UTF-8, and writes
 * frames straight to the Netty pipeline. Shared frames ({@link WebSocketFormat}) are complete WebSocket
 * frames in direct memory, written below Vert.x's frame encoder: a delivery costs no frame object, no
 * encoding and no copy. The flush is left to the shard, which coalesces a burst into one system call
 * per socket. Runs on its event loop only.
 */
public final class WebSocketTransport implements Transport, Connection {
  private static final Logger LOG = LoggerFactory.getLogger(WebSocketTransport.class);
  private static final int FLUSH_THRESHOLD_BYTES = 32 * 1024;

  private final ServerWebSocket ws;
  private final ChannelHandlerContext channel;
  private final Shard shard;
  private final int maxMessageBytes;
  /** Per-message deflate is on: message frames must pass Vert.x's compressor as frame objects. */
  private final boolean deflate;
  private final Shard.Flushable flusher = this::flush;
  private final Consumer<Connection> ended;
  private Endpoint endpoint;
  private Buffer partial;
  private boolean partialText;
  private int unflushedBytes;
  private boolean flushPending;
  private boolean closed;
  private long lastReadNanos = System.nanoTime();

  /** @param ended told when the connection ended, however (more than once is fine) */
  public WebSocketTransport(ServerWebSocket ws, Shard shard, int maxMessageBytes, int maxQueuedBytes, boolean deflate,
                            Consumer<Connection> ended) {
    this.ws = ws;
    this.ended = ended;
    this.channel = ((WebSocketInternal) ws).channelHandlerContext();
    this.shard = shard;
    this.maxMessageBytes = maxMessageBytes;
    this.deflate = deflate;
    ws.setWriteQueueMaxSize(maxQueuedBytes);
  }

  /** Starts feeding the endpoint; the transport is its only way out. */
  public void start(Endpoint endpoint) {
    this.endpoint = endpoint;
    FrameSizeGuard.install(channel.pipeline(), maxMessageBytes,
        () -> endpoint.close(CloseCode.TOO_BIG, "message larger than " + maxMessageBytes + " bytes"));
    ws.frameHandler(this::onFrame);
    ws.closeHandler(v -> {
      closed = true;
      endpoint.onClosed();
      ended.accept(this);
    });
    // Netty reports protocol violations (bad framing) here and closes the socket itself
    ws.exceptionHandler(e -> LOG.debug("websocket {}: {}", endpoint.info().id(), e.toString()));
  }

  @Override
  public String kind() {
    return "websocket";
  }

  @Override
  public WireFormat format() {
    return WebSocketFormat.INSTANCE;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  // ---- inbound ----

  /**
   * Reassembles fragmented messages itself: Vert.x's aggregator neither rejects invalid UTF-8 (1007)
   * nor answers an oversize message with a close frame (1009), as RFC 6455 asks.
   */
  private void onFrame(WebSocketFrame frame) {
    lastReadNanos = System.nanoTime();
    if (closed) {
      return;
    }
    switch (frame.type()) {
      case TEXT, BINARY -> {
        partialText = frame.type() == WebSocketFrameType.TEXT;
        partial = frame.isFinal() ? frame.binaryData() : Buffer.buffer().appendBuffer(frame.binaryData());
      }
      case CONTINUATION -> partial.appendBuffer(frame.binaryData()); // Netty enforces the fragment order
      default -> {
        return; // ping (answered by Vert.x), pong (liveness noted above), close
      }
    }
    if (partial.length() > maxMessageBytes) {
      partial = null;
      endpoint.close(CloseCode.TOO_BIG, "message larger than " + maxMessageBytes + " bytes");
      return;
    }
    if (!frame.isFinal()) {
      return;
    }
    Buffer message = partial;
    partial = null;
    if (!partialText) {
      endpoint.onBinary(message);
      return;
    }
    String text;
    try {
      text = Utf8.decode(message.getBytes());
    } catch (CharacterCodingException e) {
      endpoint.close(CloseCode.INVALID_PAYLOAD, "text frame is not valid UTF-8");
      return;
    }
    endpoint.onText(text);
  }

  @Override
  public void heartbeat(long nowNanos, long silentLimitNanos) {
    if (closed) {
      return;
    }
    if (nowNanos - lastReadNanos > silentLimitNanos) {
      endpoint.close(CloseCode.GOING_AWAY, "no heartbeat");
    } else {
      ws.writePing(Buffer.buffer());
    }
  }

  // ---- outbound ----

  @Override
  public boolean writable() {
    if (channel.channel().isWritable()) {
      return true;
    }
    unflushedBytes = 0;
    channel.flush();
    return channel.channel().isWritable();
  }

  @Override
  public void write(ByteBuf frame) {
    if (closed) {
      return;
    }
    // the frame bytes are shared by every subscriber; each write gets its own read index over them
    if (deflate) {
      ByteBuf payload = WireFrame.payload(frame);
      channel.write(WireFrame.isBinary(frame) ? new BinaryWebSocketFrame(true, 0, payload) : new TextWebSocketFrame(true, 0, payload),
          channel.voidPromise());
    } else {
      channel.write(frame.duplicate(), channel.voidPromise());
    }
    unflushedBytes += frame.readableBytes();
    if (unflushedBytes > FLUSH_THRESHOLD_BYTES) {
      // unflushed bytes count as queued: flush before they make a fast reader look slow
      flush();
    } else if (!flushPending) {
      flushPending = true;
      shard.flushLater(flusher);
    }
  }

  /**
   * On the same Netty path as shared frames: Vert.x's own write queue could hold a reply back behind a
   * non-writable channel while message frames go ahead.
   */
  @Override
  public void send(String json) {
    if (closed) {
      return;
    }
    channel.writeAndFlush(new TextWebSocketFrame(json), channel.voidPromise());
    unflushedBytes = 0; // the flush took the message frames queued before it along
  }

  @Override
  public void flush() {
    flushPending = false;
    if (unflushedBytes > 0) {
      unflushedBytes = 0;
      channel.flush();
    }
  }

  @Override
  public void close(short code, String reason) {
    if (!closed) {
      closed = true;
      ws.close(code, reason);
    }
    ended.accept(this);
  }
}
