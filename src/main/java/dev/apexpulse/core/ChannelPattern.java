package dev.apexpulse.core;


import java.util.List;

/**
 * A grant pattern: segments matched literally, {@code *} one whole segment, {@code **} (last segment
 * only) one or more remaining segments, {@code {sub}} the token's subject as one literal segment.
 * Matching is segment by segment on normalised names, so tricks like {@code ..}, {@code %2F} or a
 * subject containing '/' cannot widen a grant.
 */
public final class ChannelPattern {
  private final String[] segments;
  private final boolean rest;

  private ChannelPattern(String[] segments, boolean rest) {
    this.segments = segments;
    this.rest = rest;
  }

  /** Compiles a pattern for one subject; null when the pattern is malformed (ignored, never widened). */
  public static ChannelPattern compile(String pattern, String subject) {
    if (pattern == null) {
      return null;
    }
    String p = pattern.startsWith("/") ? pattern.substring(1) : pattern;
    if (p.isEmpty()) {
      return null;
    }
    String[] parts = p.split("/", -1);
    boolean rest = false;
    for (int i = 0; i < parts.length; i++) {
      String s = parts[i];
      if (s.equals("**")) {
        if (i != parts.length - 1) {
          return null;
        }
        rest = true;
      } else if (s.equals("{sub}")) {
        if (subject == null || !validSegment(subject)) {
          return null;
        }
        parts[i] = subject;
      } else if (!s.equals("*") && !validSegment(s)) {
        return null;
      }
    }
    String[] fixed = rest ? java.util.Arrays.copyOf(parts, parts.length - 1) : parts;
    return new ChannelPattern(fixed, rest);
  }

  private static boolean validSegment(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '/' || c == '*') {
        return false;
      }
    }
    try {
      ChannelName.normalise(s);
      return true;
    } catch (ChannelName.InvalidChannelException e) {
      return false;
    }
  }

  /** Whether the normalised channel name matches. */
  public boolean matches(String channel) {
    int segment = 0;
    int start = 0;
    int length = channel.length();
    while (start <= length) {
      int end = channel.indexOf('/', start);
      if (end < 0) {
        end = length;
      }
      if (segment < segments.length) {
        String want = segments[segment];
        if (!want.equals("*") && !channel.regionMatches(start, want, 0, want.length())
            || !want.equals("*") && want.length() != end - start) {
          return false;
        }
      } else {
        return rest;
      }
      segment++;
      start = end + 1;
    }
    return segment == segments.length && !rest;
  }

  public static boolean anyMatches(List<ChannelPattern> patterns, String channel) {
    for (ChannelPattern p : patterns) {
      if (p.matches(channel)) {
        return true;
      }
    }
    return false;
  }
}
