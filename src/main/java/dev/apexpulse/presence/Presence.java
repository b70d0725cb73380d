package dev.apexpulse.presence;

import dev.apexpulse.core.ChannelKey;
import io.vertx.core.Future;

import java.util.List;
import java.util.Map;

/** Who is subscribed where. Node-local standalone; cluster-wide in a cluster. */
public interface Presence {

  Future<PresenceChange> join(ChannelKey key, ClientInfo client);

  Future<PresenceChange> leave(ChannelKey key, ClientInfo client);

  /** Every subscribed connection of the channel. */
  Future<List<ClientInfo>> clients(ChannelKey key);

  /** Channels of the app with at least one subscriber, and how many. */
  Future<Map<String, Integer>> channels(String app);

  default void close() {}
}
