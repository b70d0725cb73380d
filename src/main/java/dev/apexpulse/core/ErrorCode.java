package dev.apexpulse.core;

/** The protocol's error codes, with the HTTP status the API answers them with. */
public enum ErrorCode {
  BAD_REQUEST(400),
  UNAUTHORIZED(401),
  FORBIDDEN(403),
  NOT_FOUND(404),
  TOO_LARGE(413),
  RATE_LIMITED(429),
  LIMIT_EXCEEDED(429),
  UNAVAILABLE(503),
  RECOVERY_FAILED(409),
  /** A POST for an event stream this cluster does not hold (never opened, or ended). */
  UNKNOWN_SESSION(404);

  private final int httpStatus;
  private final String wire;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
    this.wire = name().toLowerCase();
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String wire() {
    return wire;
  }

}
