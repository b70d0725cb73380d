package dev.apexpulse.transport;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;

/**
 * Gives the connections of long-lived streams (upgraded WebSockets, Server-Sent Events streams) the write
 * queue Vert.x uses in strict thread mode. Vert.x 5.0
 * builds every connection with a multi-producer queue whose first chunk is a 1,025-slot array (about 4 KB),
 * and a WebSocket keeps two: its own and the HTTP connection it was upgraded from (still referenced by its
 * request). Together half an idle socket's heap, although this gateway writes to a socket only from its
 * event loop. {@code HttpServerOptions#setStrictThreadMode} would spare only the HTTP connection, and would
 * oblige every HTTP response to be written on its request's thread; this installs the direct queue on the
 * two connections of upgraded sockets, and on the HTTP connection of an event stream, alone. If a Vert.x upgrade renames what it relies on, sockets keep
 * the stock queues (one warning at start), and {@code DirectWriteQueueTest} fails so the change is noticed.
 */
public final class DirectWriteQueue {
  private static final Logger LOG = LoggerFactory.getLogger(DirectWriteQueue.class);
  private static final Field QUEUE;
  private static final Constructor<?> DIRECT;

  static {
    Field queue = null;
    Constructor<?> direct = null;
    try {
      queue = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      queue.setAccessible(true);
      direct = Class.forName(VertxConnection.class.getName() + "$DirectOutboundMessageQueue")
          .getDeclaredConstructor(VertxConnection.class);
      direct.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("WebSockets keep Vert.x's multi-producer write queue (about 4 KB more per connection): {}", e.toString());
      queue = null;
      direct = null;
    }
    QUEUE = queue;
    DIRECT = direct;
  }

  private DirectWriteQueue() {
  }

  /**
   * Installs the direct queue on a just-upgraded socket and on the HTTP connection it came from, on its
   * event loop before it wrote anything through Vert.x; returns on how many of the two it did.
   */
  public static int install(ServerWebSocket ws, HttpConnection upgradedFrom) {
    if (QUEUE == null) {
      return 0;
    }
    ChannelHandlerContext ctx = ((WebSocketInternal) ws).channelHandlerContext();
    // on its loop and writable, a stock queue holds nothing: it writes through at once
    if (!ctx.executor().inEventLoop() || !ctx.channel().isWritable()) {
      return 0;
    }
    int installed = 0;
    if (ctx.handler() instanceof VertxHandler<?> handler && install(handler.getConnection())) {
      installed++;
    }
    if (upgradedFrom instanceof VertxConnection http && install(http)) {
      installed++;
    }
    return installed;
  }

  /**
   * Installs the direct queue on the HTTP connection of an event stream, on its event loop before the
   * stream wrote anything; whether it did.
   */
  public static boolean install(HttpConnection stream) {
    return QUEUE != null && stream instanceof VertxConnection c && c.channelHandlerContext().executor().inEventLoop()
        && c.channelHandlerContext().channel().isWritable() && install(c);
  }

  private static boolean install(VertxConnection connection) {
    try {
      QUEUE.set(connection, DIRECT.newInstance(connection));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("direct write queue not installed: {}", e.toString());
      return false;
    }
  }
}
