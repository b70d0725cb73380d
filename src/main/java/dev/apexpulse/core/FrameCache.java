package dev.apexpulse.core;

import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One shared frame per wire format, encoded on first use. Event loops race to encode it (a benign
 * race: equal bytes, one of them kept); release/acquire publishes a frame built on one loop to the
 * others.
 */
final class FrameCache {
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(ByteBuf[].class);
  private final ByteBuf[] frames = new ByteBuf[WireFormat.SLOTS];

  ByteBuf get(WireFormat format) {
    return (ByteBuf) SLOT.getAcquire(frames, format.slot());
  }

  ByteBuf put(WireFormat format, ByteBuf frame) {
    SLOT.setRelease(frames, format.slot(), frame);
    return frame;
  }
}
