package dev.apexpulse.protocol;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A client's JSON frame: its {@code type}, its optional integer {@code id} (echoed in the reply) and
 * the whole object for the fields of each type.
 */
public record ClientFrame(String type, Long id, JsonObject body) {

  /**
   * Parses a text frame. A frame that is not a JSON object or whose id is not an integer is refused
   * without an id (there is none to echo); a missing type is refused with the id.
   */
  public static ClientFrame parse(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new BadFrame(null, "malformed JSON frame: expected a JSON object");
    }
    Long id;
    Object rawId = frame.getValue("id");
    if (rawId == null) {
      id = null;
    } else if (rawId instanceof Number n && n.doubleValue() == n.longValue() && !(n instanceof Double d && d.isInfinite())) {
      id = n.longValue();
    } else {
      throw new BadFrame(null, "id must be an integer");
    }
    if (!(frame.getValue("type") instanceof String type)) {
      throw new BadFrame(id, "frame needs a string type");
    }
    return new ClientFrame(type, id, frame);
  }

  /** An optional boolean field ({@code "delta":true}): absent is false, any other value is refused. */
  public boolean flag(String name) {
    Object value = body.getValue(name);
    if (value == null || value instanceof Boolean) {
      return Boolean.TRUE.equals(value);
    }
    throw new PulseException(ErrorCode.BAD_REQUEST, name + " must be true or false");
  }

  /** The frame's {@code channel} field as sent (validated by the caller). */
  public Object channel() {
    return body.getValue("channel");
  }
}
