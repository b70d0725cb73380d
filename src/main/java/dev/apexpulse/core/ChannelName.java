package dev.apexpulse.core;

/** Validates and normalises channel names per the naming contract (see docs/PROTOCOL.md). */
public final class ChannelName {
  public static final int MAX_LENGTH = 255;
  public static final int MAX_SEGMENTS = 16;

  private ChannelName() {}

  /** The normalised name, or throws {@link InvalidChannelException} saying what is wrong. */
  public static String normalise(Object raw) {
    if (!(raw instanceof String name)) {
      throw new InvalidChannelException("channel must be a string");
    }
    if (name.startsWith("/")) {
      name = name.substring(1);
    }
    if (name.isEmpty()) {
      throw new InvalidChannelException("channel must not be empty");
    }
    if (name.length() > MAX_LENGTH) {
      throw new InvalidChannelException("channel longer than " + MAX_LENGTH + " characters");
    }
    int segments = 1;
    int segmentLength = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/') {
        if (segmentLength == 0) {
          throw new InvalidChannelException("channel has an empty segment");
        }
        segments++;
        segmentLength = 0;
      } else if (isSegmentChar(c)) {
        segmentLength++;
      } else {
        throw new InvalidChannelException("channel contains a character outside [A-Za-z0-9_.:@-/] at position " + i);
      }
    }
    if (segmentLength == 0) {
      throw new InvalidChannelException("channel has an empty segment");
    }
    if (segments > MAX_SEGMENTS) {
      throw new InvalidChannelException("channel has more than " + MAX_SEGMENTS + " segments");
    }
    return name;
  }

  static boolean isSegmentChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '.' || c == ':' || c == '@' || c == '-';
  }

  public static final class InvalidChannelException extends RuntimeException {
    public InvalidChannelException(String message) {
      super(message, null, false, false);
    }
  }
}
