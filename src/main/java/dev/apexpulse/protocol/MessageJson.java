package dev.apexpulse.protocol;

import dev.apexpulse.core.Message;
import io.vertx.core.json.Json;

import java.util.Base64;

/**
 * A message frame as JSON text: {@code {"type":"message","channel":…,"offset":…,"data":…,"from":…}}.
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

  private static String frame(Message m, String data, boolean binary) {
    String channel = m.key().channel();
    StringBuilder s = new StringBuilder(data.length() + channel.length() + 80)
        .append("{\"type\":\"message\",\"channel\":\"").append(channel)
        .append("\",\"offset\":").append(m.offset());
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
