package dev.apexpulse.core;

import io.netty.buffer.ByteBuf;

/**
 * How one kind of transport puts frames on the wire (a WebSocket frame, a Server-Sent Event). Shared
 * frames are encoded once per node and per format, then written as they are to every subscriber using
 * that format ({@link Message#frame}, {@link SharedFrame#frame}).
 */
public interface WireFormat {
  /** How many formats a node can have: the size of the per-message frame cache. */
  int SLOTS = 2;

  /** This format's place in the frame caches, below {@link #SLOTS}; unique per format. */
  int slot();

  /** A message frame, ready to be written to any number of sockets (never released by writers). */
  ByteBuf message(Message message);

  /** Any other JSON frame (join/leave events), ready to be shared likewise. */
  ByteBuf text(String json);
}
