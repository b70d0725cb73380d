package dev.apexpulse.transport.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One Server-Sent Event as a complete HTTP/1.1 chunk ({@code <size>CRLF data: …LF LF CRLF}): a plain
 * message event (no {@code event:} field) whose data is one protocol frame. Shared frames are built once
 * per message and written as they are to every stream, below Vert.x's HTTP encoder, like the WebSocket
 * transport's {@code WireFrame}s; a stream whose request was HTTP/1.0 cannot be chunked and writes the
 * event inside ({@link #event(ByteBuf)}).
 *
 * <p>A line break inside the JSON (whitespace between tokens of raw JSON text, e.g. from the outbox) would
 * end the data line: each line gets its own {@code data:} field, which EventSource joins back with LF.
 */
public final class EventChunk {
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CRLF = {'\r', '\n'};
  /** A comment line: keeps proxies from cutting an idle stream, ignored by EventSource. */
  private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LAST = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private EventChunk() {
  }

  /** A shared event in direct memory, never released (the garbage collector frees it with its message). */
  public static ByteBuf shared(String json) {
    byte[] chunk = chunk(event(json.getBytes(StandardCharsets.UTF_8)));
    ByteBuffer direct = ByteBuffer.allocateDirect(chunk.length).put(chunk).flip();
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(direct));
  }

  /** One stream's own event (a reply), chunked or not. */
  static ByteBuf single(String json, boolean chunked) {
    byte[] event = event(json.getBytes(StandardCharsets.UTF_8));
    return Unpooled.wrappedBuffer(chunked ? chunk(event) : event);
  }

  static ByteBuf heartbeat(boolean chunked) {
    return Unpooled.wrappedBuffer(chunked ? chunk(HEARTBEAT) : HEARTBEAT);
  }

  /** The chunk that ends a chunked body. */
  static ByteBuf last() {
    return Unpooled.wrappedBuffer(LAST);
  }

  /** The event inside a chunk built here, as its own view (for a stream that is not chunked). */
  static ByteBuf event(ByteBuf chunk) {
    int start = chunk.readerIndex();
    int header = chunk.indexOf(start, chunk.writerIndex(), (byte) '\n') - start + 1;
    return chunk.slice(start + header, chunk.readableBytes() - header - CRLF.length);
  }

  static byte[] event(byte[] json) {
    int breaks = 0;
    for (byte b : json) {
      if (b == '\n' || b == '\r') {
        breaks++;
      }
    }
    byte[] out = new byte[json.length + DATA.length * (breaks + 1) + 2];
    int o = put(out, 0, DATA);
    for (int i = 0; i < json.length; i++) {
      byte b = json[i];
      if (b == '\r' || b == '\n') {
        if (b == '\r' && i + 1 < json.length && json[i + 1] == '\n') {
          i++;
        }
        out[o++] = '\n';
        o = put(out, o, DATA);
      } else {
        out[o++] = b;
      }
    }
    out[o++] = '\n';
    out[o++] = '\n';
    // a CRLF pair counted two breaks but made one line: the rest of the array is unused
    return o == out.length ? out : Arrays.copyOf(out, o);
  }

  private static byte[] chunk(byte[] body) {
    byte[] size = (Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[size.length + body.length + CRLF.length];
    put(out, put(out, put(out, 0, size), body), CRLF);
    return out;
  }

  private static int put(byte[] out, int at, byte[] bytes) {
    System.arraycopy(bytes, 0, out, at, bytes.length);
    return at + bytes.length;
  }
}
