package dev.apexpulse.auth;

import java.util.List;

/**
 * Who is on the other end of a socket or an HTTP call, and what they may do.
 *
 * @param expiresAtMillis when the credential stops being valid (Long.MAX_VALUE for API keys)
 */
public record Identity(
    String app,
    String user,
    String name,
    long expiresAtMillis,
    List<ChannelPattern> subscribe,
    List<ChannelPattern> publish,
    List<String> triggers,
    boolean anonymous) {

  public boolean maySubscribe(String channel) {
    return ChannelPattern.anyMatches(subscribe, channel);
  }

  public boolean mayPublish(String channel) {
    return !anonymous && ChannelPattern.anyMatches(publish, channel);
  }

  /** The HTTP API key of an app: every channel, no user. */
  public static Identity apiKey(String app) {
    List<ChannelPattern> all = List.of(ChannelPattern.compile("**", null));
    return new Identity(app, null, null, Long.MAX_VALUE, all, all, List.of("*"), false);
  }
}
