package dev.apexpulse.transport.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;

/**
 * Reads the header of every incoming WebSocket frame before Netty's decoder does, and keeps frames over
 * the message limit away from it. Netty buffers a whole frame before decoding it and, past its own cap,
 * drops the connection: with the client still sending, the close frame is lost to a TCP reset (1006),
 * where RFC 6455 wants 1009. Here an oversize frame is reported at its header, its payload is skipped as
 * it streams in (nothing buffered, whatever its size), and the frames after it reach the decoder again,
 * so the client's own close frame completes a clean closing handshake.
 *
 * <p>Installed right after the upgrade, before any frame was read: a client that sends frames before
 * the server's 101 answer is outside the protocol and may be misread (then closed).
 */
final class FrameSizeGuard extends ChannelInboundHandlerAdapter {
  private static final int MAX_HEADER = 2 + 8 + 4;

  private final long limit;
  private final Runnable onOversize;
  private final byte[] header = new byte[MAX_HEADER];
  private int headerLength;
  /** Payload bytes of the current frame still to pass through (or to skip). */
  private long remaining;
  private boolean skipping;

  private FrameSizeGuard(long limit, Runnable onOversize) {
    this.limit = limit;
    this.onOversize = onOversize;
  }

  /** Puts a guard in front of the socket's WebSocket decoder; false when there is none (nothing done). */
  static boolean install(ChannelPipeline pipeline, long limit, Runnable onOversize) {
    ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
    if (decoder == null) {
      return false;
    }
    pipeline.addBefore(decoder.name(), "pulseFrameSizeGuard", new FrameSizeGuard(limit, onOversize));
    return true;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      while (in.isReadable()) {
        if (remaining > 0) {
          int n = (int) Math.min(remaining, in.readableBytes());
          if (skipping) {
            in.skipBytes(n);
          } else {
            ctx.fireChannelRead(in.readRetainedSlice(n));
          }
          remaining -= n;
          continue;
        }
        header[headerLength++] = in.readByte();
        int size = headerSize();
        if (size < 0 || headerLength < size) {
          continue; // the header is not complete yet
        }
        headerLength = 0;
        remaining = payloadLength();
        skipping = remaining > limit;
        if (skipping) {
          onOversize.run();
        } else {
          ctx.fireChannelRead(ctx.alloc().buffer(size).writeBytes(header, 0, size));
        }
      }
    } finally {
      in.release();
    }
  }

  /** The size of the current frame's header, once its first two bytes are in; else -1. */
  private int headerSize() {
    if (headerLength < 2) {
      return -1;
    }
    int len7 = header[1] & 0x7f;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
  }

  private long payloadLength() {
    int len7 = header[1] & 0x7f;
    int extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (extended == 0) {
      return len7;
    }
    long length = 0;
    for (int i = 0; i < extended; i++) {
      length = (length << 8) | (header[2 + i] & 0xff);
    }
    // a 64-bit length with the top bit set is invalid: treat it as oversize rather than negative
    return length < 0 ? Long.MAX_VALUE : length;
  }
}
