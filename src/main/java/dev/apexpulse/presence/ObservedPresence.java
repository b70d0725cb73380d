package dev.apexpulse.presence;

import dev.apexpulse.core.ChannelKey;
import io.vertx.core.Future;

import java.util.List;
import java.util.Map;

/** A presence that also tells a listener about each join and leave that succeeded. */
public final class ObservedPresence implements Presence {
  private final Presence presence;
  private final PresenceListener listener;

  public ObservedPresence(Presence presence, PresenceListener listener) {
    this.presence = presence;
    this.listener = listener;
  }

  @Override
  public Future<PresenceChange> join(ChannelKey key, ClientInfo client) {
    return presence.join(key, client).andThen(ar -> {
      if (ar.succeeded()) {
        listener.joined(key, client);
      }
    });
  }

  @Override
  public Future<PresenceChange> leave(ChannelKey key, ClientInfo client) {
    return presence.leave(key, client).andThen(ar -> {
      if (ar.succeeded()) {
        listener.left(key, client);
      }
    });
  }

  @Override
  public Future<List<ClientInfo>> clients(ChannelKey key) {
    return presence.clients(key);
  }

  @Override
  public Future<Map<String, Integer>> channels(String app) {
    return presence.channels(app);
  }

  @Override
  public void close() {
    presence.close();
  }
}
