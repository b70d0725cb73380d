package dev.apexpulse.protocol;

import dev.apexpulse.core.Message;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.Base64;

/**
 * A message frame as JSON text: {@code {"type":"message","channel":…,"offset":…,"data":…,"from":…}},
 * without {@code offset} for a message of an ephemeral channel.
 * Built by hand because it runs once per message per node and wire format, and {@code data} is already
 * JSON text (it came from a JSON parser) that must not be parsed again.
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
    String channel = m.key().channel();
    StringBuilder s = new StringBuilder(data.length() + channel.length() + 80)
        .append("{\"type\":\"message\",\"channel\":\"").append(channel).append('"');
    if (!m.ephemeral()) {
      s.append(",\"offset\":").append(m.offset());
    }
    if (binary) {
      s.append(",\"binary\":true");
    }
    s.append(",\"data\":").append(data);
    if (m.from() != null) {
      s.append(",\"from\":").append(Json.encode(m.from()));
    }
    return s.append('}').toString();
  }
}
