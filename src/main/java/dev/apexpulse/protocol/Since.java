package dev.apexpulse.protocol;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import io.vertx.core.json.JsonObject;

/** Where a client stands in a channel, to recover from: {@code "since":{"offset":41,"epoch":"k3f9"}}. */
public record Since(long offset, String epoch) {

  /** The {@code since} field of a frame, or null when absent. */
  public static Since parse(Object raw) {
    if (raw == null) {
      return null;
    }
    if (raw instanceof JsonObject o && o.getValue("offset") instanceof Number n && n.longValue() >= 0
        && n.doubleValue() == n.longValue() && o.getValue("epoch") instanceof String e) {
      return new Since(n.longValue(), e);
    }
    throw new PulseException(ErrorCode.BAD_REQUEST, "since must be {\"offset\": integer >= 0, \"epoch\": string}");
  }
}
