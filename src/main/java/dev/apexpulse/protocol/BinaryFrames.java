package dev.apexpulse.protocol;

import dev.apexpulse.core.Message;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * The binary frame layout, both directions: version (1 byte), channel length (uint16 BE), channel
 * (UTF-8), offset (uint64 BE), payload. Server to client the offset field holds the message's offset;
 * client to server (a binary publish) it holds the request id, echoed in the JSON ack or error.
 */
public final class BinaryFrames {
  public static final byte VERSION = 1;
  /** Version byte, channel length and offset: a frame without channel and payload. */
  public static final int FIXED_HEADER = 1 + 2 + 8;

  private BinaryFrames() {}

  /** A client's binary publish, checked: its channel name (not yet validated as a name), id and payload. */
  public record Publish(String channel, long id, byte[] payload) {}

  /** A binary message's frame payload. */
  public static byte[] encode(Message m) {
    return encode(m.key().channel(), m.offset(), m.bytes());
  }

  public static byte[] encode(String channel, long offset, byte[] payload) {
    byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[FIXED_HEADER + ch.length + payload.length];
    out[0] = VERSION;
    out[1] = (byte) (ch.length >>> 8);
    out[2] = (byte) ch.length;
    System.arraycopy(ch, 0, out, 3, ch.length);
    int at = 3 + ch.length;
    for (int i = 0; i < 8; i++) {
      out[at + i] = (byte) (offset >>> (56 - 8 * i));
    }
    System.arraycopy(payload, 0, out, at + 8, payload.length);
    return out;
  }

  /**
   * Parses a client's binary frame. A header that cannot be read is refused without an id; once the
   * id is known, errors carry it ({@link BadFrame#id}).
   */
  public static Publish parse(Buffer frame) {
    int length = frame.length();
    if (length < FIXED_HEADER) {
      throw new BadFrame(null, "binary frame shorter than its " + FIXED_HEADER + "-byte header");
    }
    byte version = frame.getByte(0);
    if (version != VERSION) {
      throw new BadFrame(null, "unsupported binary frame version " + (version & 0xff));
    }
    int n = frame.getUnsignedShort(1);
    if (length < FIXED_HEADER + n) {
      throw new BadFrame(null, "binary frame truncated: header names a " + n + "-byte channel");
    }
    long id = frame.getLong(3 + n);
    if (id < 0) {
      throw new BadFrame(null, "binary frame id (offset field) out of range");
    }
    String channel;
    try {
      channel = Utf8.decode(frame.getBytes(3, 3 + n));
    } catch (CharacterCodingException e) {
      throw new BadFrame(id, "binary frame channel is not valid UTF-8");
    }
    return new Publish(channel, id, frame.getBytes(FIXED_HEADER + n, length));
  }
}
