package dev.apexpulse.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;

/**
 * Gives a WebSocket the write queue Vert.x uses in strict thread mode. Vert.x 5.0 builds every WebSocket
 * connection with a multi-producer queue whose first chunk is a 1,025-slot array (about 4 KB, a quarter of
 * an idle socket's heap), although this gateway writes to a socket only from its own event loop.
 * {@code HttpServerOptions#setStrictThreadMode} spares the HTTP connection that queue but is not passed
 * on to the WebSocket connection that replaces it after the upgrade; this installs the same direct queue
 * there. If a Vert.x upgrade renames what it relies on, sockets keep the stock queue (one warning at
 * start), and {@code DirectWriteQueueTest} fails so the change is noticed.
 */
final class DirectWriteQueue {
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
   * Installs the direct queue on a socket that has not written through Vert.x yet (right after the
   * upgrade, on its event loop); returns whether it did.
   */
  static boolean install(ServerWebSocket ws) {
    if (QUEUE == null) {
      return false;
    }
    ChannelHandlerContext ctx = ((WebSocketInternal) ws).channelHandlerContext();
    // on its loop and writable, the stock queue holds nothing: it writes through at once
    if (!ctx.executor().inEventLoop() || !ctx.channel().isWritable()
        || !(ctx.handler() instanceof VertxHandler<?> vertxHandler)) {
      return false;
    }
    VertxConnection connection = vertxHandler.getConnection();
    try {
      QUEUE.set(connection, DIRECT.newInstance(connection));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("direct write queue not installed: {}", e.toString());
      return false;
    }
  }
}
