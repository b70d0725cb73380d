package dev.apexpulse.transport;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One socket as the operator console lists it: never its token or anything secret.
 *
 * @param app       null until the socket authenticated
 * @param user      null for anonymous sockets and before authentication
 * @param transport the transport's kind ({@link Transport#kind()})
 */
public record ConnectionInfo(String id, String node, String app, String user, int channels, long connectedAtMillis,
                             boolean admin, String transport) {

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("node", node).put("app", app).put("user", user)
        .put("channels", channels).put("connectedAt", Instant.ofEpochMilli(connectedAtMillis).toString())
        .put("admin", admin).put("transport", transport);
  }
}
