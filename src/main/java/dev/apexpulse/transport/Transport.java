package dev.apexpulse.transport;

import dev.apexpulse.core.WireFormat;
import io.netty.buffer.ByteBuf;

/**
 * How the protocol side of a connection writes to its client, whatever carries the frames (a
 * WebSocket, a Server-Sent Events stream). Called on the connection's event loop only.
 */
public interface Transport {

  /** The kind, for metrics and the console: {@code websocket}, {@code sse}. */
  String kind();

  /** How shared frames must be encoded for this transport (encode once per node and format). */
  WireFormat format();

  /**
   * Whether the outbound queue is under {@code limits.maxQueuedBytes}. Bytes written but not yet flushed
   * count as queued: a transport flushes them before it answers, so only what the client has not taken
   * counts.
   */
  boolean writable();

  /** Queues a shared, already encoded frame; the flush comes with the rest of the burst. */
  void write(ByteBuf frame);

  /** Queues shared frames in order (a replay), then flushes them. */
  default void writeAll(Iterable<ByteBuf> frames) {
    for (ByteBuf f : frames) {
      write(f);
    }
    flush();
  }

  /**
   * Writes one JSON control frame (a reply, an error) and flushes, behind every frame queued before it:
   * a {@code subscribed} reply reaches the client before the messages it announces.
   */
  void send(String json);

  void flush();

  /** Ends the connection with a close code and reason (for a WebSocket, a close frame). */
  void close(short code, String reason);
}
