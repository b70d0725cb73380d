package dev.apexpulse.channel;

import dev.apexpulse.core.Message;
import io.netty.buffer.ByteBuf;

/** One subscription of one connection, called on the connection's event loop. */
public interface Subscriber {

  /** Delivers a sequenced message; false when nothing was written (duplicate, buffered, closed). */
  boolean deliver(Message message);

  /** Writes an unsequenced event frame (join/leave). */
  void deliverEvent(ByteBuf frame);
}
