package dev.apexpulse.presence;

import dev.apexpulse.core.ChannelKey;

/**
 * Told about this node's own joins and leaves once they took effect ({@link ObservedPresence}). Called
 * on the socket's event loop: must not block.
 */
public interface PresenceListener {

  void joined(ChannelKey key, ClientInfo client);

  void left(ChannelKey key, ClientInfo client);
}
