package dev.apexpulse.core;

import dev.apexpulse.channel.WireFrame;
import io.netty.buffer.ByteBuf;
import io.vertx.core.json.Json;

import java.nio.charset.StandardCharsets;

/**
 * A published message with its place in the channel. Its client frame is encoded once, on first
 * use, and the same bytes are then written to every local subscriber (and replayed from history).
 *
 * <p>A message is either JSON ({@code data} set, {@code bytes} null) or binary ({@code bytes} set,
 * {@code data} null). A binary message goes to clients as a binary WebSocket frame: version 1,
 * channel length (uint16 BE), channel (UTF-8), offset (uint64 BE), then the raw bytes.
 *
 * @param data        the payload as JSON text, or null for a binary message
 * @param from        the publishing user, or null (API key, job, outbox)
 * @param publishedAt wall-clock millis at the publishing node, for cross-node latency
 * @param bytes       the payload of a binary message (never modified), or null for JSON
 */
public record Message(ChannelKey key, long offset, String epoch, String data, String from, long publishedAt,
                      NodeLocal local, byte[] bytes) {

  /** Version byte of the binary frame layout. */
  public static final byte BINARY_VERSION = 1;
  /** Version byte, channel length and offset: the binary frame without channel and payload. */
  public static final int BINARY_FIXED_HEADER = 1 + 2 + 8;

  public Message {
    if ((data == null) == (bytes == null)) {
      throw new IllegalArgumentException("a message has either JSON data or bytes");
    }
  }

  public Message(ChannelKey key, long offset, String epoch, String data, String from, long publishedAt) {
    this(key, offset, epoch, data, from, publishedAt, new NodeLocal(), null);
  }

  public Message(ChannelKey key, long offset, String epoch, String data, String from, long publishedAt,
                 NodeLocal local) {
    this(key, offset, epoch, data, from, publishedAt, local, null);
  }

  /** A JSON ({@code bytes == null}) or binary ({@code data == null}) message. */
  public static Message of(ChannelKey key, long offset, String epoch, String data, byte[] bytes, String from,
                           long publishedAt) {
    return new Message(key, offset, epoch, data, from, publishedAt, new NodeLocal(), bytes);
  }

  public boolean binary() {
    return bytes != null;
  }

  /** When this node got the message ({@link System#nanoTime()}), for the fan-out latency metric. */
  public long arrivedNanos() {
    return local.arrivedNanos;
  }

  /**
   * The client's WebSocket frame ({@link WireFrame}), shared by all writers: release() on it is a no-op,
   * and writers take a {@code duplicate()} so each socket has its own read position over the same bytes.
   * A text {@code message} frame for JSON, the binary frame layout for bytes (see {@link #binary()}).
   */
  public ByteBuf frame() {
    ByteBuf b = local.frame;
    if (b == null) {
      b = bytes == null
          ? WireFrame.text(encode().getBytes(StandardCharsets.UTF_8))
          : WireFrame.binary(encodeBinary(key.channel(), offset, bytes));
      local.frame = b;
    }
    return b;
  }

  private String encode() {
    StringBuilder s = new StringBuilder(data.length() + key.channel().length() + 80)
        .append("{\"type\":\"message\",\"channel\":\"").append(key.channel())
        .append("\",\"offset\":").append(offset)
        .append(",\"data\":").append(data);
    if (from != null) {
      s.append(",\"from\":").append(Json.encode(from));
    }
    return s.append('}').toString();
  }

  /** The binary frame: version, channel length (uint16 BE), channel, offset (uint64 BE), payload. */
  public static byte[] encodeBinary(String channel, long offset, byte[] payload) {
    byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[BINARY_FIXED_HEADER + ch.length + payload.length];
    out[0] = BINARY_VERSION;
    out[1] = (byte) (ch.length >>> 8);
    out[2] = (byte) ch.length;
    System.arraycopy(ch, 0, out, 3, ch.length);
    int at = 3 + ch.length;
    for (int i = 0; i < 8; i++) {
      out[at + i] = (byte) (offset >>> (56 - 8 * i));
    }
    System.arraycopy(payload, 0, out, at + 8, payload.length);
    return out;
  }

  /** What only this node's copy has: arrival time and the lazily encoded frame (a benign race). */
  public static final class NodeLocal {
    final long arrivedNanos = System.nanoTime();
    volatile ByteBuf frame;
  }
}
