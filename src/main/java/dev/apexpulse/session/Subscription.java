package dev.apexpulse.session;

import dev.apexpulse.channel.Subscriber;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.SharedFrame;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * One channel of a session. Until the subscribe reply is sent it buffers live messages, so replayed
 * and live messages reach the client in offset order, none twice. Messages of an ephemeral channel have
 * no offset and are written as they come. With deltas on, a live message that follows the last message
 * written here goes as its delta frame when it has one: the client holds exactly the data that delta
 * starts from. Replayed messages and the first message always go in full.
 */
final class Subscription implements Subscriber {
  private static final int MAX_PENDING = 10_000;

  final ChannelKey key;
  private final Session session;
  private final boolean deltas;
  boolean removed;
  private List<Message> pending = new ArrayList<>();
  private long lastOffset;
  // the last message written here, the base of the next delta: offset and epoch (offsets of two epochs differ)
  private long writtenOffset = -1;
  private String writtenEpoch;

  Subscription(ChannelKey key, Session session, boolean deltas) {
    this.key = key;
    this.session = session;
    this.deltas = deltas;
  }

  /** Sends the replayed messages, then those buffered meanwhile, and from now on live ones. */
  void goLive(long startOffset, List<Message> replay) {
    lastOffset = startOffset;
    List<Message> buffered = pending;
    pending = null;
    for (Message m : replay) {
      write(m, false);
    }
    for (Message m : buffered) {
      deliver(m);
    }
  }

  @Override
  public boolean deliver(Message m) {
    if (pending != null) {
      if (pending.size() >= MAX_PENDING) {
        session.tooSlow("too many messages while subscribing");
        return false;
      }
      pending.add(m);
      return false;
    }
    return write(m, deltas);
  }

  private boolean write(Message m, boolean deltaAllowed) {
    if (removed) {
      return false;
    }
    if (m.ephemeral()) {
      return session.write(m.frame(session.format()));
    }
    if (m.offset() <= lastOffset) {
      return false;
    }
    lastOffset = m.offset();
    ByteBuf frame = deltaAllowed && m.offset() == writtenOffset + 1 && m.epoch().equals(writtenEpoch)
        ? m.deltaFrame(session.format()) : null;
    writtenOffset = m.offset();
    writtenEpoch = m.epoch();
    return session.write(frame != null ? frame : m.frame(session.format()));
  }

  @Override
  public void deliverEvent(SharedFrame frame) {
    if (pending == null && !removed) {
      session.write(frame.frame(session.format()));
    }
  }
}
