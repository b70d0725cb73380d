package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.metrics.PulseMetrics;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;

/**
 * The subscriptions of the connections on one event loop. Touched only from that loop, so fan-out
 * needs no locks: a message is handed to each shard once and written to its sockets in one pass.
 */
public final class Shard {
  private static final Logger LOG = LoggerFactory.getLogger(Shard.class);
  private static final Subscriber[] NONE = new Subscriber[0];

  final int index;
  final Context context;
  private final PulseMetrics metrics;
  // copy-on-write arrays: changes are rare, iteration happens per message and must not allocate
  private final HashMap<ChannelKey, Subscriber[]> subscribers = new HashMap<>();
  private final ArrayList<Flushable> unflushed = new ArrayList<>();
  private boolean flushScheduled;

  /** A socket that wrote without flushing and must be flushed once the current burst is written. */
  public interface Flushable {
    void flush();
  }

  Shard(int index, Context context, PulseMetrics metrics) {
    this.index = index;
    this.context = context;
    this.metrics = metrics;
  }

  public Context context() {
    return context;
  }

  void add(ChannelKey key, Subscriber s) {
    Subscriber[] old = subscribers.getOrDefault(key, NONE);
    Subscriber[] grown = Arrays.copyOf(old, old.length + 1);
    grown[old.length] = s;
    subscribers.put(key, grown);
  }

  void remove(ChannelKey key, Subscriber s) {
    Subscriber[] old = subscribers.get(key);
    if (old == null) {
      return;
    }
    int at = -1;
    for (int i = 0; i < old.length; i++) {
      if (old[i] == s) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      return;
    }
    if (old.length == 1) {
      subscribers.remove(key);
      return;
    }
    Subscriber[] shrunk = new Subscriber[old.length - 1];
    System.arraycopy(old, 0, shrunk, 0, at);
    System.arraycopy(old, at + 1, shrunk, at, old.length - at - 1);
    subscribers.put(key, shrunk);
  }

  /**
   * Flushes the socket after every delivery task already queued on this event loop has run: frames
   * queued for one socket in a burst leave in one system call instead of one each.
   */
  public void flushLater(Flushable socket) {
    unflushed.add(socket);
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flushAll());
    }
  }

  private void flushAll() {
    flushScheduled = false;
    for (int i = 0; i < unflushed.size(); i++) {
      unflushed.get(i).flush();
    }
    unflushed.clear();
  }

  void deliver(Message m) {
    Subscriber[] targets = subscribers.get(m.key());
    if (targets == null) {
      return;
    }
    int written = 0;
    for (Subscriber s : targets) {
      try {
        if (s.deliver(m)) {
          written++;
        }
      } catch (RuntimeException e) {
        // one broken socket must not cost the subscribers after it this message
        LOG.warn("delivery of {} #{} to one subscriber failed: {}", m.key(), m.offset(), e.toString());
      }
    }
    metrics.delivered(written, System.nanoTime() - m.arrivedNanos());
  }

  void deliverEvent(ChannelKey key, ByteBuf frame) {
    Subscriber[] targets = subscribers.get(key);
    if (targets != null) {
      for (Subscriber s : targets) {
        try {
          s.deliverEvent(frame);
        } catch (RuntimeException e) {
          LOG.warn("event for {} to one subscriber failed: {}", key, e.toString());
        }
      }
    }
  }
}
