package dev.apexpulse.history;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import io.vertx.core.Future;

import java.util.List;

/**
 * Per-channel message history: assigns offsets and keeps a bounded window for recovery, sized per
 * channel ({@link Retention}). The
 * standalone node keeps it in memory; a cluster keeps it in Hazelcast so offsets are unique
 * cluster-wide and any node can serve recovery.
 */
public interface History {

  /**
   * Stores the message under the channel's next offset: JSON text ({@code bytes} null) or a binary
   * payload ({@code data} null), never both.
   */
  Future<Message> append(ChannelKey key, String data, byte[] bytes, String from);

  /**
   * Stores the message as {@link #append(ChannelKey, String, byte[], String)} does, tagged with the
   * idempotency key of its publish, so that a repeat can find it once its publisher has died. A history
   * that dies with its node (memory) needs no tags: the keys die with it.
   */
  default Future<Message> append(ChannelKey key, String data, byte[] bytes, String from, String tag) {
    return append(key, data, bytes, from);
  }

  /** Stores a JSON message under the channel's next offset. */
  default Future<Message> append(ChannelKey key, String data, String from) {
    return append(key, data, null, from);
  }

  Future<Position> position(ChannelKey key);

  /**
   * The messages after {@code offset} in {@code epoch}, at most {@code limit}; not recovered when the
   * epoch changed, the window no longer reaches back that far, or more than {@code limit} are missing.
   */
  Future<Replay> since(ChannelKey key, long offset, String epoch, int limit);

  /** The newest retained messages, at most {@code limit}, oldest first (always {@code recovered}). */
  Future<Replay> recent(ChannelKey key, int limit);

  /**
   * Exactly the messages with offsets {@code after + 1 .. upTo} in {@code epoch}, in order, or an empty
   * list when history no longer has every one of them. Fills a sequencer gap however far the channel
   * has moved on since (a burst), unlike {@link #since}, whose limit counts up to the newest message.
   */
  default Future<List<Message>> range(ChannelKey key, long after, long upTo, String epoch) {
    return since(key, after, epoch, Integer.MAX_VALUE).map(r -> {
      List<Message> out = r.recovered() ? r.messages().stream().filter(m -> m.offset() <= upTo).toList() : List.of();
      return out.size() == upTo - after ? out : List.<Message>of();
    });
  }

  default void close() {}
}
