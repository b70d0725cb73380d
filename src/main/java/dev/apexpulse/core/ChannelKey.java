package dev.apexpulse.core;

/** A channel within one app: the unit of subscription, history and ordering. */
public record ChannelKey(String app, String channel) {
  @Override
  public String toString() {
    return app + ":" + channel;
  }
}
