package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A subscriber that behaves like pulse.js: it remembers the last offset and epoch it saw, and when
 * its socket dies, or stays silent longer than {@code patienceMillis} while messages are due, it
 * reconnects to another live node and resubscribes with {@code since}. It records every message
 * offset it receives across reconnections, so a test can check "every message exactly once, in order".
 */
final class Follower {
  final String name;
  final String channel;
  private final Vertx vertx;
  private final WebSocketClient client;
  private final String token;
  private final long patienceMillis;
  private final java.util.function.UnaryOperator<NodeProcess> elsewhere;
  private final List<Long> offsets = new ArrayList<>();
  private final List<Object> rows = new ArrayList<>();
  private final java.util.Map<Long, String> payloads = new java.util.HashMap<>();
  private final List<String> problems = new ArrayList<>();
  private final List<String> moves = new ArrayList<>();
  private final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>();
  private WebSocket ws;
  private NodeProcess node;
  private String epoch;
  private long last;
  private long lastFrameNanos = System.nanoTime();
  private long timer = -1;
  private boolean reconnecting;
  private boolean stopped;
  private volatile boolean calm;

  /** @param elsewhere picks the node to move to, given the one it leaves */
  Follower(Vertx vertx, String name, String channel, String token, long patienceMillis,
           java.util.function.UnaryOperator<NodeProcess> elsewhere) {
    this.vertx = vertx;
    this.name = name;
    this.channel = channel;
    this.token = token;
    this.patienceMillis = patienceMillis;
    this.elsewhere = elsewhere;
    this.client = vertx.createWebSocketClient();
  }

  /** Connects to {@code n} and subscribes (from now, or with since after the first time). */
  void start(NodeProcess n) throws Exception {
    // not synchronized: the event loop takes the monitor to handle the reply we wait for here
    io.vertx.core.Future<Void> subscribed;
    synchronized (this) {
      subscribed = connect(n);
    }
    subscribed.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long t = vertx.setPeriodic(250, id -> watchdog());
    synchronized (this) {
      timer = t;
    }
  }

  private io.vertx.core.Future<Void> connect(NodeProcess n) {
    node = n;
    io.vertx.core.Promise<Void> subscribed = io.vertx.core.Promise.promise();
    client.connect(new WebSocketConnectOptions().setAbsoluteURI(n.ws(token)).setAllowOriginHeader(false))
        .onFailure(subscribed::tryFail)
        .onSuccess(socket -> {
          synchronized (this) {
            ws = socket;
            lastFrameNanos = System.nanoTime();
          }
          socket.textMessageHandler(text -> onFrame(socket, new JsonObject(text), subscribed));
          socket.closeHandler(v -> {
            // a node that closes before answering (draining, 1012) fails this attempt: try elsewhere
            subscribed.tryFail("closed (" + socket.closeStatusCode() + ") before subscribed");
            onClosed(socket);
          });
          JsonObject sub = new JsonObject().put("type", "subscribe").put("id", 1).put("channel", channel);
          synchronized (this) {
            if (epoch != null) {
              sub.put("since", new JsonObject().put("offset", last).put("epoch", epoch));
            }
          }
          socket.writeTextMessage(sub.encode());
        });
    return subscribed.future();
  }

  private synchronized void onFrame(WebSocket socket, JsonObject f, io.vertx.core.Promise<Void> subscribed) {
    if (socket != ws) {
      return; // a socket given up on
    }
    lastFrameNanos = System.nanoTime();
    recent.add(node.label + ":" + f.getString("type") + (f.containsKey("offset") ? "@" + f.getValue("offset") : "")
        + (f.containsKey("recovered") ? " recovered=" + f.getValue("recovered") : ""));
    if (recent.size() > 30) {
      recent.poll();
    }
    switch (f.getString("type")) {
      case "subscribed" -> {
        if (epoch != null && !f.getBoolean("recovered")) {
          problems.add("recovered:false on " + node.label + " after offset " + last + ": " + f);
        }
        if (epoch != null && !epoch.equals(f.getString("epoch"))) {
          problems.add("epoch changed from " + epoch + " to " + f.getString("epoch") + " on " + node.label);
        }
        if (epoch == null) {
          last = f.getLong("offset");
        }
        epoch = f.getString("epoch");
        subscribed.tryComplete();
      }
      case "message" -> {
        long o = f.getLong("offset");
        if (o <= last) {
          problems.add("duplicate or old offset " + o + " after " + last + " on " + node.label + "; recent frames " + recent);
        } else if (o != last + 1) {
          problems.add("gap: " + o + " after " + last + " on " + node.label + "; recent frames " + recent);
        }
        offsets.add(o);
        payloads.put(o, String.valueOf(f.getValue("data")));
        last = Math.max(last, o);
        if (f.getValue("data") instanceof JsonObject d && d.containsKey("row")) {
          rows.add(d.getValue("row"));
        }
      }
      case "error" -> {
        problems.add("error on " + node.label + ": " + f);
        subscribed.tryFail(f.encode());
      }
      default -> { }
    }
  }

  private synchronized void onClosed(WebSocket socket) {
    if (socket == ws && !stopped) {
      moveOn("socket closed (" + socket.closeStatusCode() + ")");
    }
  }

  private synchronized void watchdog() {
    if (!stopped && !calm && !reconnecting && System.nanoTime() - lastFrameNanos > TimeUnit.MILLISECONDS.toNanos(patienceMillis)) {
      moveOn("silent for " + patienceMillis + " ms");
    }
  }

  private void moveOn(String why) {
    if (reconnecting) {
      return;
    }
    reconnecting = true;
    WebSocket old = ws;
    ws = null;
    if (old != null) {
      old.close();
    }
    NodeProcess from = node;
    NodeProcess to = elsewhere.apply(from);
    moves.add(from.label + " -> " + to.label + " (" + why + ")");
    connect(to).onComplete(ar -> {
      synchronized (this) {
        reconnecting = false;
        lastFrameNanos = System.nanoTime();
        if (ar.failed()) {
          moves.add("reconnect to " + to.label + " failed: " + ar.cause());
          // like pulse.js, keep trying (elsewhere): after the publishers stop no watchdog would
          vertx.setTimer(250, t -> {
            synchronized (Follower.this) {
              if (!stopped && !reconnecting && node == to) {
                moveOn("reconnect to " + to.label + " failed");
              }
            }
          });
        }
      }
    });
  }

  /** No more messages are due: silence no longer means the node is gone. */
  void calm() {
    calm = true;
  }

  synchronized long last() {
    return last;
  }

  synchronized List<Long> offsets() {
    return new ArrayList<>(offsets);
  }

  /** The data of every message received, by offset (the last one received at that offset). */
  synchronized java.util.Map<Long, String> payloads() {
    return new java.util.HashMap<>(payloads);
  }

  /** The {@code row} field of every message that had one, in arrival order. */
  synchronized List<Object> rows() {
    return new ArrayList<>(rows);
  }

  synchronized List<String> problems() {
    return new ArrayList<>(problems);
  }

  synchronized List<String> moves() {
    return new ArrayList<>(moves);
  }

  synchronized String where() {
    return node == null ? "-" : node.label;
  }

  synchronized void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (ws != null) {
      ws.close();
    }
    client.close();
  }
}
