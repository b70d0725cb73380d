package dev.apexpulse.presence;

import dev.apexpulse.core.ChannelKey;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Presence of one node, in memory. */
public final class LocalPresence implements Presence {
  private final ConcurrentHashMap<ChannelKey, ChannelPresence> byChannel = new ConcurrentHashMap<>();

  /**
   * One channel: its connections, and how many of them each user has, so a join or leave knows
   * whether it is the user's first or last in constant time (no scan of the channel).
   */
  private static final class ChannelPresence {
    final Map<String, ClientInfo> clients = new ConcurrentHashMap<>();
    /** Changed only inside byChannel.compute for this channel, which serialises the changes. */
    final Map<String, Integer> connectionsPerUser = new HashMap<>();
  }

  @Override
  public Future<PresenceChange> join(ChannelKey key, ClientInfo client) {
    PresenceChange[] change = {PresenceChange.UNCHANGED};
    byChannel.compute(key, (k, channel) -> {
      ChannelPresence c = channel == null ? new ChannelPresence() : channel;
      if (c.clients.putIfAbsent(client.connection(), client) == null && client.user() != null
          && c.connectionsPerUser.merge(client.user(), 1, Integer::sum) == 1) {
        change[0] = PresenceChange.USER_CHANGED;
      }
      return c;
    });
    return Future.succeededFuture(change[0]);
  }

  @Override
  public Future<PresenceChange> leave(ChannelKey key, ClientInfo client) {
    PresenceChange[] change = {PresenceChange.UNCHANGED};
    byChannel.computeIfPresent(key, (k, c) -> {
      ClientInfo gone = c.clients.remove(client.connection());
      if (gone != null && gone.user() != null
          && c.connectionsPerUser.compute(gone.user(), (u, n) -> n == null || n <= 1 ? null : n - 1) == null) {
        change[0] = PresenceChange.USER_CHANGED;
      }
      return c.clients.isEmpty() ? null : c;
    });
    return Future.succeededFuture(change[0]);
  }

  @Override
  public Future<List<ClientInfo>> clients(ChannelKey key) {
    ChannelPresence c = byChannel.get(key);
    return Future.succeededFuture(c == null ? List.of() : new ArrayList<>(c.clients.values()));
  }

  @Override
  public Future<Map<String, Integer>> channels(String app) {
    Map<String, Integer> out = new TreeMap<>();
    byChannel.forEach((key, c) -> {
      if (key.app().equals(app) && !c.clients.isEmpty()) {
        out.put(key.channel(), c.clients.size());
      }
    });
    return Future.succeededFuture(out);
  }
}
