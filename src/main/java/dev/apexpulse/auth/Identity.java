package dev.apexpulse.auth;

import dev.apexpulse.config.AppConfig;
import dev.apexpulse.core.ChannelPattern;

import java.util.ArrayList;
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

  /** Whether a {@code trig} grant names the job: exact names or globs where {@code *} matches any characters. */
  public boolean mayTrigger(String job) {
    if (anonymous) {
      return false;
    }
    for (String pattern : triggers) {
      if (glob(pattern, 0, job, 0)) {
        return true;
      }
    }
    return false;
  }

  private static boolean glob(String p, int i, String s, int j) {
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == '*') {
        for (int k = j; k <= s.length(); k++) {
          if (glob(p, i + 1, s, k)) {
            return true;
          }
        }
        return false;
      }
      if (j >= s.length() || s.charAt(j) != c) {
        return false;
      }
      i++;
      j++;
    }
    return j == s.length();
  }

  /** The HTTP API key of an app: every channel, no user. */
  public static Identity apiKey(String app) {
    List<ChannelPattern> all = List.of(ChannelPattern.compile("**", null));
    return new Identity(app, null, null, Long.MAX_VALUE, all, all, List.of("*"), false);
  }

  /** A read-only connection without a token ({@code ?app=}): the app's {@code anonymous} channels. */
  public static Identity anonymous(AppConfig app) {
    List<ChannelPattern> read = new ArrayList<>();
    for (String p : app.anonymous()) {
      ChannelPattern compiled = ChannelPattern.compile(p, null);
      if (compiled != null) {
        read.add(compiled);
      }
    }
    return new Identity(app.id(), "anonymous", null, Long.MAX_VALUE, List.copyOf(read), List.of(), List.of(), true);
  }
}
