package dev.apexpulse.gateway;

import io.vertx.core.json.JsonObject;

/**
 * One socket as the operator console lists it: never its token or anything secret.
 *
 * @param app  null until the socket authenticated
 * @param user null for anonymous sockets and before authentication
 */
public record ConnectionInfo(String id, String node, String app, String user, int channels, long connectedAtMillis,
                             boolean admin) {

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("node", node).put("app", app).put("user", user)
        .put("channels", channels).put("connectedAt", java.time.Instant.ofEpochMilli(connectedAtMillis).toString())
        .put("admin", admin);
  }
}
