package dev.apexpulse.protocol;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.Position;
import dev.apexpulse.presence.ClientInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The server's control frames: replies and events (message frames: {@link MessageJson}). */
public final class Frames {
  private Frames() {}

  public static String welcome(Long id, String connection, String node, int heartbeat) {
    return withId(new JsonObject().put("type", "welcome"), id)
        .put("connection", connection).put("node", node).put("heartbeat", heartbeat).encode();
  }

  /**
   * With {@code "cache":true} on a cache channel, whose latest message follows when the client lacks it;
   * with {@code "delta":true} when messages may come as deltas.
   */
  public static String subscribed(Long id, String channel, Position p, boolean recovered, boolean cache, boolean delta) {
    JsonObject o = withId(new JsonObject().put("type", "subscribed"), id).put("channel", channel)
        .put("offset", p.offset()).put("epoch", p.epoch()).put("recovered", recovered);
    if (cache) {
      o.put("cache", true);
    }
    return (delta ? o.put("delta", true) : o).encode();
  }

  /** An ephemeral channel has no offset and no epoch; {@code recovered} is false when {@code since} was asked for. */
  public static String subscribedEphemeral(Long id, String channel, boolean recovered) {
    return withId(new JsonObject().put("type", "subscribed"), id).put("channel", channel)
        .put("recovered", recovered).put("ephemeral", true).encode();
  }

  /**
   * The reply to a {@code history} request: the channel's position (none when ephemeral), whether
   * {@code since} could be served, and the messages in ascending offset order, or descending with
   * {@code reverse}.
   */
  public static String history(Long id, String channel, Position p, boolean recovered, List<Message> messages, boolean reverse) {
    JsonObject o = withId(new JsonObject().put("type", "history"), id).put("channel", channel);
    if (p != null) {
      o.put("epoch", p.epoch()).put("offset", p.offset());
    }
    JsonArray list = new JsonArray();
    for (int i = 0; i < messages.size(); i++) {
      list.add(MessageJson.historyEntry(messages.get(reverse ? messages.size() - 1 - i : i)));
    }
    return o.put("recovered", recovered).put("messages", list).encode();
  }

  public static String unsubscribed(Long id, String channel) {
    return withId(new JsonObject().put("type", "unsubscribed"), id).put("channel", channel).encode();
  }

  public static String ack(Long id, Long offset) {
    JsonObject ack = withId(new JsonObject().put("type", "ack"), id);
    if (offset != null) {
      ack.put("offset", offset);
    }
    return ack.encode();
  }

  public static String pong(Long id) {
    return withId(new JsonObject().put("type", "pong"), id).encode();
  }

  /** One entry per user (several tabs of one user count once); anonymous connections are not listed. */
  public static String presence(Long id, String channel, List<ClientInfo> clients) {
    Map<String, JsonObject> users = new LinkedHashMap<>();
    for (ClientInfo c : clients) {
      if (c.user() != null) {
        users.computeIfAbsent(c.user(), u -> {
          JsonObject o = new JsonObject().put("user", u);
          if (c.name() != null) {
            o.put("name", c.name());
          }
          return o;
        });
      }
    }
    return withId(new JsonObject().put("type", "presence"), id).put("channel", channel)
        .put("count", users.size()).put("connections", clients.size())
        .put("clients", new JsonArray(List.copyOf(users.values()))).encode();
  }

  public static String presenceEvent(String type, String channel, String user, String name) {
    JsonObject o = new JsonObject().put("type", type).put("channel", channel).put("user", user);
    if (name != null) {
      o.put("name", name);
    }
    return o.encode();
  }

  public static String error(Long id, ErrorCode code, String message) {
    return withId(new JsonObject().put("type", "error"), id).put("code", code.wire()).put("message", message).encode();
  }

  private static JsonObject withId(JsonObject frame, Long id) {
    return id == null ? frame : frame.put("id", id);
  }
}
