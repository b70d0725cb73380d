package dev.apexpulse.channel;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;

/**
 * Idempotency keys as {@link Idempotency} keeps them: a client's {@code idempotencyKey} and an outbox
 * row's id live in separate namespaces, so no client can pre-empt a row by publishing with its id.
 */
public final class IdempotencyKey {
  public static final int MAX_LENGTH = 64;

  private IdempotencyKey() {}

  /** The {@code idempotencyKey} of an HTTP, socket or event-bus publish, or null when absent. */
  public static String client(Object raw) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String s) || s.isEmpty() || s.length() > MAX_LENGTH) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "idempotencyKey must be a string of 1 to " + MAX_LENGTH + " characters");
    }
    return "c:" + s;
  }

  /** The key of a {@code pulse_outbox} row: its id. */
  public static String outboxRow(long id) {
    return "o:" + id;
  }
}
