package dev.apexpulse.protocol;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;

/**
 * A client frame refused before it could be dispatched ({@code bad_request}), with the request id when
 * the frame got far enough to have one.
 */
public final class BadFrame extends PulseException {
  private final Long id;

  public BadFrame(Long id, String message) {
    super(ErrorCode.BAD_REQUEST, message);
    this.id = id;
  }

  public Long id() {
    return id;
  }
}
