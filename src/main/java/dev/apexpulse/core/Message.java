package dev.apexpulse.core;

import io.netty.buffer.ByteBuf;

import java.util.function.Supplier;

/**
 * A published message with its place in the channel. Its client frame is encoded once per node and
 * wire format, on first use, and the same bytes are then written to every local subscriber using that
 * format (and replayed from history).
 *
 * <p>A message is either JSON ({@code data} set, {@code bytes} null) or binary ({@code bytes} set,
 * {@code data} null).
 *
 * @param data        the payload as JSON text, or null for a binary message
 * @param from        the publishing user, or null (API key, job, outbox)
 * @param publishedAt wall-clock millis at the publishing node, for cross-node latency
 * @param bytes       the payload of a binary message (never modified), or null for JSON
 */
public record Message(ChannelKey key, long offset, String epoch, String data, String from, long publishedAt,
                      NodeLocal local, byte[] bytes) {

  /**
   * The offset of a message of an ephemeral channel, which has none: such messages are not stored,
   * not sequenced and not recovered (stored messages count from 1).
   */
  public static final long NO_OFFSET = 0;

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

  /** A message of an ephemeral channel ({@link #NO_OFFSET}). */
  public boolean ephemeral() {
    return offset == NO_OFFSET;
  }

  /** When this node got the message ({@link System#nanoTime()}), for the fan-out latency metric. */
  public long arrivedNanos() {
    return local.arrivedNanos;
  }

  /**
   * The client frame in this wire format, shared by all writers: release() on it is a no-op, and
   * writers take a {@code duplicate()} so each socket has its own read position over the same bytes.
   */
  public ByteBuf frame(WireFormat format) {
    ByteBuf b = local.frames.get(format);
    return b != null ? b : local.frames.put(format, format.message(this));
  }

  /**
   * Gives this message a second frame: its data as a delta against the message before it, whose frame
   * JSON {@code frame} computes (null when a delta would not be smaller). Called by the channel's
   * sequencer, which knows the predecessor, before the message is handed to the shards.
   */
  public void deltaFrom(Supplier<String> frame) {
    local.delta = new DeltaFrames(frame);
  }

  /**
   * The delta frame in this wire format, shared like {@link #frame}: computed once per node, on first
   * use; null when the message has none (see {@link #deltaFrom}).
   */
  public ByteBuf deltaFrame(WireFormat format) {
    DeltaFrames delta = local.delta;
    return delta == null ? null : delta.frame(format);
  }

  /** What only this node's copy has: arrival time and the lazily encoded frames (see {@link FrameCache}). */
  public static final class NodeLocal {
    final long arrivedNanos = System.nanoTime();
    final FrameCache frames = new FrameCache();
    volatile DeltaFrames delta;
  }
}
