package dev.apexpulse.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.function.Supplier;

/**
 * A message's frame as a delta against its predecessor: the JSON is computed once, by the first event
 * loop that needs it (the others wait for it rather than compute it again), then shared per wire format
 * like the full frame. A message without a worthwhile delta caches that too, so asking again is cheap.
 */
final class DeltaFrames {
  /** "No delta": a frame slot's marker, never written. */
  private static final ByteBuf NONE = Unpooled.unreleasableBuffer(Unpooled.buffer(0, 0));

  private Supplier<String> source; // guarded by this: dropped once used, with the predecessor's data it holds
  private String json; // guarded by this
  private final FrameCache frames = new FrameCache();

  DeltaFrames(Supplier<String> source) {
    this.source = source;
  }

  ByteBuf frame(WireFormat format) {
    ByteBuf b = frames.get(format);
    if (b == null) {
      String text = json();
      b = frames.put(format, text == null ? NONE : format.text(text));
    }
    return b == NONE ? null : b;
  }

  private synchronized String json() {
    if (source != null) {
      json = source.get();
      source = null;
    }
    return json;
  }
}
