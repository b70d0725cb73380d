package dev.apexpulse.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.json.Json;

import java.nio.charset.StandardCharsets;

/**
 * A published message with its place in the channel. Its client frame is encoded once, on first
 * use, and the same bytes are then written to every local subscriber (and replayed from history).
 *
 * @param data       the payload as JSON text
 * @param from       the publishing user, or null (API key, job, outbox)
 * @param publishedAt wall-clock millis at the publishing node, for cross-node latency
 */
public record Message(ChannelKey key, long offset, String epoch, String data, String from, long publishedAt,
                      NodeLocal local) {

  public Message(ChannelKey key, long offset, String epoch, String data, String from, long publishedAt) {
    this(key, offset, epoch, data, from, publishedAt, new NodeLocal());
  }

  /** When this node got the message ({@link System#nanoTime()}), for the fan-out latency metric. */
  public long arrivedNanos() {
    return local.arrivedNanos;
  }

  /**
   * The {@code message} frame, shared by all writers: release() on it is a no-op, and writers take a
   * {@code duplicate()} so each socket has its own read position over the same bytes.
   */
  public ByteBuf frame() {
    ByteBuf b = local.frame;
    if (b == null) {
      b = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(encode().getBytes(StandardCharsets.UTF_8)));
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

  /** What only this node's copy has: arrival time and the lazily encoded frame (a benign race). */
  public static final class NodeLocal {
    final long arrivedNanos = System.nanoTime();
    volatile ByteBuf frame;
  }
}
