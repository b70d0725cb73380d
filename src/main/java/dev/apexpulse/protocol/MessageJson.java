package dev.apexpulse.protocol;

import dev.apexpulse.core.Message;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.Base64;

/**
 * A message frame as JSON text: {@code {"type":"message","channel":…,"offset":…,"data":…,"from":…}},
 * without {@code offset} for a message of an ephemeral channel, or with {@code "delta"} (a Fossil delta
 * against the previous message's data) in place of {@code "data"}. {@code from} is always last, so a client
 * can cut a full frame's {@code data} text out of the frame as it arrived: the base of the next delta
 * (docs/PROTOCOL.md, Delta compression). Built by hand because it runs once per message per node and
 * wire format, and {@code data} is already JSON text (it came from a JSON parser) that must not be
 * parsed again.
 */
public final class MessageJson {
  private MessageJson() {}

  /** A JSON message's frame. */
  public static String encode(Message m) {
    return frame(m, m.data(), false);
  }

  /**
   * Any message on a transport without binary frames (SSE): a binary message's bytes go as base64 with
   * {@code "binary":true}, as the HTTP history shows them.
   */
  public static String encodeAsText(Message m) {
    return m.binary() ? frame(m, '"' + Base64.getEncoder().encodeToString(m.bytes()) + '"', true) : encode(m);
  }

  /**
   * A JSON message's frame carrying its data as a Fossil delta against {@code previousData}, the data of
   * the message before it in the channel; null when that frame would not be smaller than the full one.
   */
  public static String deltaFrame(Message m, String previousData) {
    String delta = Json.encode(FossilDelta.encode(previousData, m.data()));
    if (delta.length() + 1 >= m.data().length()) { // "delta" is one character longer than "data"
      return null;
    }
    return frame(m, "delta", delta, false);
  }

  /**
   * A message as history lists it (HTTP and the {@code history} frame): {@code offset}, {@code data}
   * and {@code from} when there is one; a binary message's bytes in base64 with {@code "binary":true}.
   */
  public static JsonObject historyEntry(Message m) {
    JsonObject o = new JsonObject().put("offset", m.offset());
    if (m.binary()) {
      o.put("binary", true).put("data", Base64.getEncoder().encodeToString(m.bytes()));
    } else {
      o.put("data", Json.decodeValue(m.data()));
    }
    return m.from() != null ? o.put("from", m.from()) : o;
  }

  private static String frame(Message m, String data, boolean binary) {
    return frame(m, "data", data, binary);
  }

  private static String frame(Message m, String field, String value, boolean binary) {
    String channel = m.key().channel();
    StringBuilder s = new StringBuilder(value.length() + channel.length() + 80)
        .append("{\"type\":\"message\",\"channel\":\"").append(channel).append('"');
    if (!m.ephemeral()) {
      s.append(",\"offset\":").append(m.offset());
    }
    if (binary) {
      s.append(",\"binary\":true");
    }
    s.append(",\"").append(field).append("\":").append(value);
    if (m.from() != null) {
      s.append(",\"from\":").append(Json.encode(m.from()));
    }
    return s.append('}').toString();
  }
}
