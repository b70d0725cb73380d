package dev.apexpulse.reliability;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The answer docs/PROTOCOL.md promises for a client frame, written from the document (not from the
 * gateway's code): one model per connection, fed the frames in the order they are sent (the server
 * handles one connection's frames in order, so its state follows the model's).
 *
 * <p>JSON parsing itself is Vert.x's (Jackson with its default limits: nesting depth 1000, numbers of
 * at most 1000 digits): the protocol defines what happens to a parsed object, not what JSON is.
 */
final class ProtocolOracle {

  /**
   * The reply a frame must get: an {@code id} (null: none) and a type, or an error code; or, where the
   * answer depends on what the server holds (a history reply's size), that reply or the error {@code or}.
   */
  record Expected(Long id, String type, String code, String channel, String or) {
    static Expected error(Long id, String code) {
      return new Expected(id, "error", code, null, null);
    }

    static Expected reply(Long id, String type, String channel) {
      return new Expected(id, type, null, channel, null);
    }

    static Expected replyOrError(Long id, String type, String channel, String code) {
      return new Expected(id, type, null, channel, code);
    }

    boolean matches(JsonObject f) {
      Object rid = f.getValue("id");
      Long got = rid instanceof Number n ? n.longValue() : null;
      if (id == null ? got != null : !id.equals(got)) {
        return false;
      }
      if (or != null && "error".equals(f.getString("type")) && or.equals(f.getString("code"))) {
        return true;
      }
      if (!type.equals(f.getString("type"))) {
        return false;
      }
      if (code != null && !code.equals(f.getString("code"))) {
        return false;
      }
      return channel == null || channel.equals(f.getString("channel"));
    }

    @Override
    public String toString() {
      return (code != null ? "error " + code : type) + (or != null ? " or error " + or : "")
          + (id != null ? " id=" + id : " (no id)") + (channel != null ? " " + channel : "");
    }
  }

  /** How an auth frame's token must be answered on this connection. */
  enum TokenKind { SAME_USER, OTHER_USER, OTHER_APP, REFUSED }

  private final boolean anonymous;
  private final String user;
  private final List<String> subGrants;
  private final List<String> pubGrants;
  private final int maxSubscriptions;
  private final int maxPublishBytes;
  private final int maxHistoryRequest;
  private final Map<String, TokenKind> tokens;
  final Set<String> subscribed = new HashSet<>();

  ProtocolOracle(boolean anonymous, String user, List<String> subGrants, List<String> pubGrants,
                 int maxSubscriptions, int maxPublishBytes, int maxHistoryRequest, Map<String, TokenKind> tokens) {
    this.anonymous = anonymous;
    this.user = user;
    this.subGrants = subGrants;
    this.pubGrants = pubGrants;
    this.maxSubscriptions = maxSubscriptions;
    this.maxPublishBytes = maxPublishBytes;
    this.maxHistoryRequest = maxHistoryRequest;
    this.tokens = tokens;
  }

  /**
   * A binary message (docs "Binary frames"): version 1, channel length (uint16), channel (UTF-8),
   * request id (int64, in the offset field), payload. A header that cannot be read is refused
   * without an id; otherwise it is a publish of the payload, answered with the id.
   */
  Expected binary(byte[] f) {
    if (f.length < 11 || f[0] != 1) {
      return Expected.error(null, "bad_request");
    }
    int n = ((f[1] & 0xff) << 8) | (f[2] & 0xff);
    if (f.length < 11 + n) {
      return Expected.error(null, "bad_request");
    }
    long id = java.nio.ByteBuffer.wrap(f, 3 + n, 8).getLong();
    if (id < 0) {
      return Expected.error(null, "bad_request"); // beyond the int64 range: no id to answer with
    }
    String name;
    try {
      name = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(f, 3, n)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      return Expected.error(id, "bad_request");
    }
    String channel = channel(name);
    if (channel == null) {
      return Expected.error(id, "bad_request");
    }
    if (anonymous || !granted(pubGrants, channel)) {
      return Expected.error(id, "forbidden");
    }
    if (f.length - 11 - n > maxPublishBytes) {
      return Expected.error(id, "too_large");
    }
    return Expected.reply(id, "ack", null);
  }

  /** A text message (valid UTF-8, within the size limit), on an authenticated connection. */
  Expected text(String text) {
    JsonObject frame;
    try {
      Object parsed = Json.decodeValue(text);
      if (!(parsed instanceof JsonObject o)) {
        return Expected.error(null, "bad_request");
      }
      frame = o;
    } catch (DecodeException e) {
      return Expected.error(null, "bad_request");
    }
    Object rawId = frame.getValue("id");
    Long id = null;
    if (rawId != null) {
      id = integer(rawId);
      if (id == null) {
        return Expected.error(null, "bad_request");
      }
    }
    if (!(frame.getValue("type") instanceof String type)) {
      return Expected.error(id, "bad_request");
    }
    if (type.equals("auth")) {
      if (!(frame.getValue("token") instanceof String token)) {
        return Expected.error(id, "bad_request");
      }
      if (anonymous) {
        return Expected.error(id, "forbidden");
      }
      return switch (tokens.getOrDefault(token, TokenKind.REFUSED)) {
        case SAME_USER -> Expected.reply(id, "welcome", null);
        case OTHER_USER, OTHER_APP -> Expected.error(id, "forbidden");
        case REFUSED -> Expected.error(id, "unauthorized");
      };
    }
    switch (type) {
      case "subscribe" -> {
        String channel = channel(frame.getValue("channel"));
        if (channel == null || subscribed.contains(channel)) {
          return Expected.error(id, "bad_request");
        }
        if (!granted(subGrants, channel)) {
          return Expected.error(id, "forbidden");
        }
        if (subscribed.size() >= maxSubscriptions) {
          return Expected.error(id, "limit_exceeded");
        }
        if (!sinceWellFormed(frame.getValue("since"))) {
          return Expected.error(id, "bad_request");
        }
        subscribed.add(channel);
        return Expected.reply(id, "subscribed", channel);
      }
      case "unsubscribe" -> {
        String channel = channel(frame.getValue("channel"));
        if (channel == null) {
          return Expected.error(id, "bad_request");
        }
        if (!subscribed.remove(channel)) {
          return Expected.error(id, "not_found");
        }
        return Expected.reply(id, "unsubscribed", channel);
      }
      case "publish" -> {
        String channel = channel(frame.getValue("channel"));
        if (channel == null) {
          return Expected.error(id, "bad_request");
        }
        if (anonymous || !granted(pubGrants, channel)) {
          return Expected.error(id, "forbidden");
        }
        if (!frame.containsKey("data")) {
          return Expected.error(id, "bad_request");
        }
        // optional: a string of 1 to 64 characters (a repeat is acked like the first)
        Object key = frame.getValue("idempotencyKey");
        if (key != null && !(key instanceof String k && !k.isEmpty() && k.length() <= 64)) {
          return Expected.error(id, "bad_request");
        }
        if (Json.encode(frame.getValue("data")).getBytes(StandardCharsets.UTF_8).length > maxPublishBytes) {
          return Expected.error(id, "too_large");
        }
        return Expected.reply(id, "ack", null);
      }
      case "presence" -> {
        String channel = channel(frame.getValue("channel"));
        if (channel == null) {
          return Expected.error(id, "bad_request");
        }
        if (!granted(subGrants, channel)) {
          return Expected.error(id, "forbidden");
        }
        return Expected.reply(id, "presence", channel);
      }
      case "history" -> {
        String channel = channel(frame.getValue("channel"));
        if (channel == null) {
          return Expected.error(id, "bad_request");
        }
        if (!granted(subGrants, channel)) {
          return Expected.error(id, "forbidden");
        }
        Object limit = frame.getValue("limit");
        Long n = limit == null ? Long.valueOf(1) : integer(limit);
        if (n == null || n < 1 || n > maxHistoryRequest || !sinceWellFormed(frame.getValue("since"))) {
          return Expected.error(id, "bad_request");
        }
        Object reverse = frame.getValue("reverse");
        if (reverse != null && !(reverse instanceof Boolean)) {
          return Expected.error(id, "bad_request");
        }
        // a reply larger than limits.maxQueuedBytes is refused: what the channel holds decides
        return Expected.replyOrError(id, "history", channel, "too_large");
      }
      case "ping" -> {
        return Expected.reply(id, "pong", null);
      }
      case "trigger" -> {
        // the fuzz node has no jobs: every job name is unknown
        return frame.getValue("job") instanceof String ? Expected.error(id, "not_found") : Expected.error(id, "bad_request");
      }
      default -> {
        return Expected.error(id, "bad_request");
      }
    }
  }

  /** An {@code id}: an integer JSON number (a float without fraction counts), else null. */
  static Long integer(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? b.longValue() : null;
    }
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      double d = ((Number) v).doubleValue();
      if (Double.isInfinite(d) || Double.isNaN(d) || d != Math.rint(d)) {
        return null;
      }
      // a double integer beyond the long range is still "an integer" to JSON, but not to the protocol
      if (d >= 0x1p63 || d < -0x1p63) {
        return d == 0x1p63 ? Long.MAX_VALUE : null;
      }
      return (long) d;
    }
    return null;
  }

  private static boolean sinceWellFormed(Object since) {
    if (since == null) {
      return true;
    }
    if (!(since instanceof JsonObject o) || !(o.getValue("epoch") instanceof String)) {
      return false;
    }
    Long offset = integer(o.getValue("offset"));
    return offset != null && offset >= 0;
  }

  /** The normalised channel name, or null when it is not a valid name (docs: Channel names). */
  static String channel(Object raw) {
    if (!(raw instanceof String s)) {
      return null;
    }
    if (s.startsWith("/")) {
      s = s.substring(1);
    }
    if (s.isEmpty() || s.length() > 255) {
      return null;
    }
    String[] segments = s.split("/", -1);
    if (segments.length > 16) {
      return null;
    }
    for (String seg : segments) {
      if (!segment(seg)) {
        return null;
      }
    }
    return s;
  }

  static boolean segment(String seg) {
    if (seg.isEmpty()) {
      return false;
    }
    for (int i = 0; i < seg.length(); i++) {
      char c = seg.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '.' || c == ':' || c == '@' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private boolean granted(List<String> patterns, String channel) {
    for (String p : patterns) {
      if (matches(p, user, channel)) {
        return true;
      }
    }
    return false;
  }

  /** docs "Grants and patterns": segment-wise; a malformed pattern matches nothing. */
  static boolean matches(String pattern, String subject, String channel) {
    String p = pattern.startsWith("/") ? pattern.substring(1) : pattern;
    if (p.isEmpty()) {
      return false;
    }
    String[] ps = p.split("/", -1);
    List<String> want = new ArrayList<>();
    boolean rest = false;
    for (int i = 0; i < ps.length; i++) {
      String s = ps[i];
      if (s.equals("**")) {
        if (i != ps.length - 1) {
          return false;
        }
        rest = true;
      } else if (s.equals("{sub}")) {
        if (subject == null || !segment(subject)) {
          return false;
        }
        want.add(subject);
      } else if (s.equals("*") || segment(s)) {
        want.add(s);
      } else {
        return false;
      }
    }
    String[] cs = channel.split("/", -1);
    if (rest ? cs.length <= want.size() : cs.length != want.size()) {
      return false;
    }
    for (int i = 0; i < want.size(); i++) {
      if (!want.get(i).equals("*") && !want.get(i).equals(cs[i])) {
        return false;
      }
    }
    return true;
  }
}
