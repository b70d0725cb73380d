package dev.apexpulse.session;

import dev.apexpulse.channel.Subscriber;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.SharedFrame;

import java.util.ArrayList;
import java.util.List;

/**
 * One channel of a session. Until the subscribe reply is sent it buffers live messages, so replayed
 * and live messages reach the client in offset order, none twice. Messages of an ephemeral channel have
 * no offset and are written as they come.
 */
final class Subscription implements Subscriber {
  private static final int MAX_PENDING = 10_000;

  final ChannelKey key;
  private final Session session;
  boolean removed;
  private List<Message> pending = new ArrayList<>();
  private long lastOffset;

  Subscription(ChannelKey key, Session session) {
    this.key = key;
    this.session = session;
  }

  /** Sends the replayed messages, then those buffered meanwhile, and from now on live ones. */
  void goLive(long startOffset, List<Message> replay) {
    lastOffset = startOffset;
    List<Message> buffered = pending;
    pending = null;
    for (Message m : replay) {
      deliver(m);
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
    if (removed) {
      return false;
    }
    if (!m.ephemeral()) {
      if (m.offset() <= lastOffset) {
        return false;
      }
      lastOffset = m.offset();
    }
    return session.write(m.frame(session.format()));
  }

  @Override
  public void deliverEvent(SharedFrame frame) {
    if (pending == null && !removed) {
      session.write(frame.frame(session.format()));
    }
  }
}
