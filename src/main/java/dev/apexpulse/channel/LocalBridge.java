package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import io.vertx.core.Future;

/** The bridge of a standalone node: nothing to cross, the hub gets every message directly. */
public final class LocalBridge implements Bridge {
  private final LocalHub hub;

  public LocalBridge(LocalHub hub) {
    this.hub = hub;
  }

  @Override
  public Future<Void> open(ChannelKey key) {
    return Future.succeededFuture();
  }

  @Override
  public void close(ChannelKey key) {}

  @Override
  public Future<Void> publish(Message message) {
    hub.deliver(message);
    return Future.succeededFuture();
  }

  @Override
  public void publishEvent(ChannelKey key, String frame) {
    hub.deliverEvent(key, frame);
  }
}
