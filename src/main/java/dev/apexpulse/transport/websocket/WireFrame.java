package dev.apexpulse.transport.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;

/**
 * A complete server-to-client WebSocket frame (RFC 6455 §5.2: FIN, opcode, length, unmasked payload),
 * built once per message and written as is to every subscriber. Written below Vert.x's frame encoder, a
 * delivery then costs no frame object, no encoding and no copy; the bytes live in direct memory, so the
 * socket write needs no copy either. Released by the garbage collector with the message that holds it
 * (history keeps messages for replay), hence unreleasable for Netty.
 */
public final class WireFrame {
  private static final int TEXT = 0x1;
  private static final int BINARY = 0x2;

  private WireFrame() {
  }

  public static ByteBuf text(byte[] payload) {
    return frame(TEXT, payload);
  }

  public static ByteBuf binary(byte[] payload) {
    return frame(BINARY, payload);
  }

  /** Whether a frame built here is a binary frame. */
  public static boolean isBinary(ByteBuf frame) {
    return (frame.getUnsignedByte(frame.readerIndex()) & 0x0f) == BINARY;
  }

  /** The payload of a frame built here, for a pipeline that must see frame objects (per-message deflate). */
  public static ByteBuf payload(ByteBuf frame) {
    int second = frame.getUnsignedByte(frame.readerIndex() + 1);
    int header = second < 126 ? 2 : second == 126 ? 4 : 10;
    return frame.slice(frame.readerIndex() + header, frame.readableBytes() - header);
  }

  private static ByteBuf frame(int opcode, byte[] payload) {
    int length = payload.length;
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuffer out = ByteBuffer.allocateDirect(header + length);
    out.put((byte) (0x80 | opcode));
    if (length < 126) {
      out.put((byte) length);
    } else if (length <= 0xFFFF) {
      out.put((byte) 126).putShort((short) length);
    } else {
      out.put((byte) 127).putLong(length);
    }
    out.put(payload).flip();
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(out));
  }
}
