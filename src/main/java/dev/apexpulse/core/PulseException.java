package dev.apexpulse.core;

/** A refused request: becomes an {@code error} frame, an HTTP error body or an event-bus failure. */
public final class PulseException extends RuntimeException {
  private final ErrorCode code;

  public PulseException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
