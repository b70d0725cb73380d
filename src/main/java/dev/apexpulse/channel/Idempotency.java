package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import io.vertx.core.Future;

import java.util.function.Supplier;

/**
 * Exactly-once publishing: a publish that carries an idempotency key ({@link IdempotencyKey}) runs once
 * per key and channel within {@code idempotency.windowSeconds}; a repeat publishes nothing and answers
 * what the first answered. Standalone the keys live in the node's memory; in a cluster in a Hazelcast
 * map, where they survive a node's death.
 */
public interface Idempotency {

  /**
   * Runs {@code publish} unless a publish with this key to this channel ran within the window; then
   * answers with its result. A repeat that arrives while the first is still running waits for it. A
   * publish that failed leaves no key behind: a retry runs. The future completes on the caller's context.
   */
  Future<Published> once(ChannelKey channel, String key, Supplier<Future<Published>> publish);
}
