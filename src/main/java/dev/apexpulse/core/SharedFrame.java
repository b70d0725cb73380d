package dev.apexpulse.core;

import io.netty.buffer.ByteBuf;

/**
 * A JSON frame that is not a message (a join or leave event) sent to every subscriber of a channel:
 * like a message, encoded once per node and wire format.
 */
public final class SharedFrame {
  private final String json;
  private final FrameCache frames = new FrameCache();

  public SharedFrame(String json) {
    this.json = json;
  }

  public String json() {
    return json;
  }

  /** The frame in this format, encoded on first use. */
  public ByteBuf frame(WireFormat format) {
    ByteBuf b = frames.get(format);
    return b != null ? b : frames.put(format, format.text(json));
  }
}
