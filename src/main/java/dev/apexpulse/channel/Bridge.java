package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import io.vertx.core.Future;

/**
 * Carries published messages to every node that has subscribers for the channel. Standalone it
 * hands them straight to the local hub; clustered it uses one event-bus consumer per channel in use.
 */
public interface Bridge {

  /** Starts receiving the channel on this node; completes once messages published after it will arrive. */
  Future<Void> open(ChannelKey key);

  /** Stops receiving the channel on this node (its last local subscriber left). */
  void close(ChannelKey key);

  /** Delivers a message, already in history, to every node (including this one). */
  Future<Void> publish(Message message);

  /** Delivers an unsequenced frame (join/leave) to the channel's subscribers on every node. */
  void publishEvent(ChannelKey key, String frame);

  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
