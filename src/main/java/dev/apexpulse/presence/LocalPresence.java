package dev.apexpulse.presence;

import dev.apexpulse.core.ChannelKey;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Presence of one node, in memory. */
public final class LocalPresence implements Presence {
  private final ConcurrentHashMap<ChannelKey, Map<String, ClientInfo>> byChannel = new ConcurrentHashMap<>();

  @Override
  public Future<PresenceChange> join(ChannelKey key, ClientInfo client) {
    PresenceChange[] change = {PresenceChange.UNCHANGED};
    byChannel.compute(key, (k, clients) -> {
      Map<String, ClientInfo> map = clients == null ? new ConcurrentHashMap<>() : clients;
      if (client.user() != null && !hasUser(map, client.user())) {
        change[0] = PresenceChange.USER_CHANGED;
      }
      map.put(client.connection(), client);
      return map;
    });
    return Future.succeededFuture(change[0]);
  }

  @Override
  public Future<PresenceChange> leave(ChannelKey key, ClientInfo client) {
    PresenceChange[] change = {PresenceChange.UNCHANGED};
    byChannel.computeIfPresent(key, (k, map) -> {
      if (map.remove(client.connection()) != null && client.user() != null && !hasUser(map, client.user())) {
        change[0] = PresenceChange.USER_CHANGED;
      }
      return map.isEmpty() ? null : map;
    });
    return Future.succeededFuture(change[0]);
  }

  @Override
  public Future<List<ClientInfo>> clients(ChannelKey key) {
    Map<String, ClientInfo> map = byChannel.get(key);
    return Future.succeededFuture(map == null ? List.of() : new ArrayList<>(map.values()));
  }

  @Override
  public Future<Map<String, Integer>> channels(String app) {
    Map<String, Integer> out = new TreeMap<>();
    byChannel.forEach((key, clients) -> {
      if (key.app().equals(app) && !clients.isEmpty()) {
        out.put(key.channel(), clients.size());
      }
    });
    return Future.succeededFuture(out);
  }

  private static boolean hasUser(Map<String, ClientInfo> map, String user) {
    for (ClientInfo c : map.values()) {
      if (user.equals(c.user())) {
        return true;
      }
    }
    return false;
  }
}
