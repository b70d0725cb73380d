package dev.apexpulse.gateway;

import dev.apexpulse.metrics.PulseMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

import java.util.concurrent.TimeUnit;

/**
 * Deadlines for plain HTTP/1.x connections (before any WebSocket upgrade), against slowloris:
 *
 * <ul>
 *   <li>a request (headers and body) must arrive completely within {@code requestMillis} of the
 *       connection opening, or of its first byte on a kept-alive connection: an idle timeout alone
 *       would let a client that drips one byte every few seconds hold a connection for ever;
 *   <li>a kept-alive connection with no request in progress is closed after {@code idleMillis}.
 * </ul>
 *
 * While the node owes a response and the request has arrived completely, no deadline runs. Once the connection is upgraded (a 101 response) or
 * turned into an event stream ({@link #detach}), both handlers leave the pipeline: an established WebSocket
 * or stream is governed by heartbeats only.
 */
final class HttpDeadlines {
  private static final String BYTES = "pulseRequestBytes";
  private static final String MESSAGES = "pulseRequestMessages";

  private final long requestMillis;
  private final long idleMillis;
  private final PulseMetrics metrics;
  private ChannelPipeline pipeline;
  private ChannelHandlerContext ctx;
  private boolean receiving = true; // a fresh connection owes its first request
  private int inFlight;
  private ScheduledFuture<?> timer;
  private String armed;

  private HttpDeadlines(long requestMillis, long idleMillis, PulseMetrics metrics) {
    this.requestMillis = requestMillis;
    this.idleMillis = idleMillis;
    this.metrics = metrics;
  }

  /** Installs the deadlines on a new HTTP/1.x server connection (runs on its event loop). */
  static void install(HttpConnection connection, long requestMillis, long idleMillis, PulseMetrics metrics) {
    if ((requestMillis <= 0 && idleMillis <= 0) || !(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
    if (pipeline.get("httpDecoder") == null || pipeline.get("httpEncoder") == null) {
      return; // not HTTP/1.x
    }
    HttpDeadlines d = new HttpDeadlines(requestMillis, idleMillis, metrics);
    d.pipeline = pipeline;
    pipeline.addBefore("httpDecoder", BYTES, d.new Bytes());
    pipeline.addAfter("httpEncoder", MESSAGES, d.new Messages());
    d.ctx = pipeline.context(MESSAGES);
    d.update();
  }

  /**
   * Leaves a connection that turned into an event stream: like an upgraded socket, governed by heartbeats
   * from now on (a response that never ends is not a request in progress).
   */
  static void detach(HttpConnection connection) {
    if (connection instanceof ConnectionBase base
        && base.channelHandlerContext().pipeline().get(MESSAGES) instanceof HttpDeadlines.Messages m) {
      m.owner().remove();
    }
  }

  /** Sees the raw bytes: the first byte of a request starts its deadline. */
  private final class Bytes extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
      if (msg instanceof ByteBuf b && b.isReadable() && !receiving) {
        receiving = true;
        update();
      }
      super.channelRead(c, msg);
    }
  }

  /** Sees decoded requests (their headers and their end) and the ends of the responses written. */
  private final class Messages extends ChannelDuplexHandler {
    HttpDeadlines owner() {
      return HttpDeadlines.this;
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
      if (msg instanceof HttpRequest) {
        inFlight++; // answered from here on: Vert.x may respond before the request's body has arrived
      }
      if (msg instanceof LastHttpContent) {
        receiving = false;
      }
      if (msg instanceof HttpRequest || msg instanceof LastHttpContent) {
        update();
      }
      super.channelRead(c, msg);
    }

    @Override
    public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) throws Exception {
      if (msg instanceof HttpResponse r && r.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
        remove();
      } else if (msg instanceof LastHttpContent) {
        inFlight = Math.max(0, inFlight - 1);
        update();
      }
      super.write(c, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) throws Exception {
      cancel();
      super.channelInactive(c);
    }
  }

  private void update() {
    if (receiving) {
      arm("request", requestMillis);
    } else if (inFlight > 0) {
      cancel();
    } else {
      arm("idle", idleMillis);
    }
  }

  private void arm(String kind, long millis) {
    if (kind.equals(armed)) {
      return; // a deadline already running is not pushed back by more bytes
    }
    cancel();
    if (millis > 0) {
      armed = kind;
      timer = ctx.executor().schedule(() -> expire(kind), millis, TimeUnit.MILLISECONDS);
    }
  }

  private void expire(String kind) {
    if (!kind.equals(armed)) {
      return;
    }
    timer = null;
    armed = null;
    metrics.httpTimeout(kind);
    ctx.channel().close();
  }

  private void cancel() {
    armed = null;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void remove() {
    cancel();
    if (pipeline.get(BYTES) != null) {
      pipeline.remove(BYTES);
    }
    if (pipeline.get(MESSAGES) != null) {
      pipeline.remove(MESSAGES);
    }
  }
}
