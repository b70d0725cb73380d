package dev.apexpulse.history;

import dev.apexpulse.channel.ChannelKey;
import dev.apexpulse.channel.Message;
import io.vertx.core.Future;

/**
 * Per-channel message history: assigns offsets and keeps a bounded window for recovery. The
 * standalone node keeps it in memory; a cluster keeps it in Hazelcast so offsets are unique
 * cluster-wide and any node can serve recovery.
 */
public interface History {

  /** Stores the message under the channel's next offset. */
  Future<Message> append(ChannelKey key, String data, String from);

  Future<Position> position(ChannelKey key);

  /**
   * The messages after {@code offset} in {@code epoch}, at most {@code limit}; not recovered when the
   * epoch changed, the window no longer reaches back that far, or more than {@code limit} are missing.
   */
  Future<Replay> since(ChannelKey key, long offset, String epoch, int limit);

  /** The newest retained messages, at most {@code limit}, oldest first (always {@code recovered}). */
  Future<Replay> recent(ChannelKey key, int limit);

  default void close() {}
}
