package dev.apexpulse.admin;

import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The console channel: the node pushes the console's data to the console sockets it holds, once a
 * second, as ordinary {@code message} frames on channel {@value #CHANNEL} (app {@value AdminAccess#APP}).
 * The first message after a subscribe is the whole picture ({@code "kind":"full"}, with the chart's last
 * 10 minutes); the following ones are {@code "kind":"tick"}. Offsets count this node's ticks, under an
 * epoch of this node's start: a page that reconnects to another node sees another epoch and starts over,
 * which is all it needs (each message carries the whole state but the chart).
 */
public final class ConsoleFeed {
  public static final String CHANNEL = "console";

  private final Console console;
  private final String epoch;
  private final Set<AdminSocket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicLong seq = new AtomicLong();

  ConsoleFeed(Console console, String nodeId) {
    this.console = console;
    byte[] b = new byte[4];
    new SecureRandom().nextBytes(b);
    this.epoch = nodeId + "-" + HexFormat.of().formatHex(b);
  }

  /** Subscribes a console socket: the subscribed reply now, the full picture when gathered, then ticks. */
  public void attach(AdminSocket socket, Long requestId, Object since) {
    boolean recovered = since instanceof JsonObject s && epoch.equals(s.getValue("epoch"));
    JsonObject reply = new JsonObject().put("type", "subscribed");
    if (requestId != null) {
      reply.put("id", requestId);
    }
    socket.push(reply.put("channel", CHANNEL).put("offset", seq.get()).put("epoch", epoch).put("recovered", recovered).encode());
    console.full().onComplete(ar -> {
      if (socket.isDetached()) {
        return;
      }
      JsonObject data = ar.succeeded() ? ar.result() : new JsonObject().put("kind", "full").put("error", "console data unavailable");
      // added only after the full message, so that no tick (with a higher offset) overtakes it
      socket.push(message(seq.get(), data));
      sockets.add(socket);
    });
  }

  public void detach(AdminSocket socket) {
    socket.detached();
    sockets.remove(socket);
  }

  boolean idle() {
    return sockets.isEmpty();
  }

  int size() {
    return sockets.size();
  }

  /** Pushes one tick to every attached socket (encoded once). */
  void push(JsonObject data) {
    if (sockets.isEmpty()) {
      return;
    }
    String frame = message(seq.incrementAndGet(), data);
    for (AdminSocket s : sockets) {
      s.push(frame);
    }
  }

  private static String message(long offset, JsonObject data) {
    return new JsonObject().put("type", "message").put("channel", CHANNEL).put("offset", offset).put("data", data).encode();
  }
}
