package dev.apexpulse.admin;

import dev.apexpulse.transport.ConnectionInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * What one node does for the console on request, wherever the operator is: its chart series, its
 * sockets, disconnecting some of them, draining itself. Address {@code pulse.admin.node.<node id>} on
 * the (clustered) event bus; requests are JSON with an {@code action}.
 */
final class NodeService {
  private static final Logger LOG = LoggerFactory.getLogger(NodeService.class);
  static final String ADDRESS_PREFIX = "pulse.admin.node.";
  /** The close code and reason of an operator's disconnect. */
  static final short DISCONNECT_CODE = 1008;
  static final String DISCONNECT_REASON = "disconnected by an operator";
  static final int MAX_LIST = 1000;

  private final Vertx vertx;
  private final String nodeId;
  private final NodeStatus status;
  private final Sockets sockets;
  private final NodeHandle node;
  private MessageConsumer<JsonObject> consumer;

  NodeService(Vertx vertx, String nodeId, NodeStatus status, Sockets sockets, NodeHandle node) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.status = status;
    this.sockets = sockets;
    this.node = node;
  }

  static String address(String nodeId) {
    return ADDRESS_PREFIX + nodeId;
  }

  Future<Void> register() {
    consumer = vertx.eventBus().consumer(address(nodeId), this::handle);
    return consumer.completion();
  }

  Future<Void> unregister() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<JsonObject> msg) {
    JsonObject req = msg.body();
    String action = req.getString("action", "");
    String by = req.getString("by", "?");
    switch (action) {
      case "series" -> msg.reply(status.series(req.getLong("last", System.currentTimeMillis() / 1000 - 1)));
      case "connections" -> sockets.list().map(all -> all.stream().filter(matcher(req, false)).toList()).onComplete(ar -> {
        if (ar.failed()) {
          msg.fail(500, ar.cause().toString());
          return;
        }
        List<ConnectionInfo> list = new ArrayList<>(ar.result());
        list.sort(Comparator.comparing(ConnectionInfo::connectedAtMillis));
        int limit = Math.max(1, Math.min(MAX_LIST, req.getInteger("limit", MAX_LIST)));
        JsonArray out = new JsonArray();
        list.stream().limit(limit).forEach(c -> out.add(c.toJson()));
        msg.reply(new JsonObject().put("node", nodeId).put("total", list.size()).put("connections", out));
      });
      case "disconnect" -> {
        Predicate<ConnectionInfo> which = matcher(req, true);
        if (which == null) {
          msg.fail(400, "disconnect needs a connection, or an app and a user");
          return;
        }
        sockets.disconnect(which, DISCONNECT_CODE, DISCONNECT_REASON).onComplete(ar -> {
          int n = ar.succeeded() ? ar.result() : 0;
          if (n > 0) {
            LOG.warn("console: {} closed {} connection(s) on node {} ({})", by, n, nodeId, describe(req));
          }
          msg.reply(new JsonObject().put("node", nodeId).put("closed", n));
        });
      }
      case "drain" -> {
        LOG.warn("console: {} drains node {} (as on SIGTERM)", by, nodeId);
        msg.reply(new JsonObject().put("node", nodeId).put("draining", true));
        // after the reply has left
        vertx.setTimer(50, t -> node.drain("the console (" + by + ")"));
      }
      default -> msg.fail(400, "unknown action '" + action + "'");
    }
  }

  private static String describe(JsonObject req) {
    return req.getString("connection") != null ? "connection " + req.getString("connection")
        : "app " + req.getString("app") + ", user " + req.getString("user");
  }

  /** Filter by connection id, or app and user; for listing also app alone, or nothing. */
  private static Predicate<ConnectionInfo> matcher(JsonObject req, boolean forDisconnect) {
    String connection = req.getString("connection");
    String app = req.getString("app");
    String user = req.getString("user");
    if (connection != null) {
      return c -> c.id().equals(connection);
    }
    if (app != null && user != null) {
      return c -> !c.admin() && app.equals(c.app()) && user.equals(c.user());
    }
    if (forDisconnect) {
      return null;
    }
    if (app != null) {
      return c -> app.equals(c.app());
    }
    return c -> true;
  }
}
