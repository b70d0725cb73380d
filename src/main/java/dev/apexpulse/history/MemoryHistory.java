package dev.apexpulse.history;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import io.vertx.core.Future;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * History of a standalone node: one bounded ring per channel (count and age, from the channel's
 * {@link Retention}, read once when its ring is made). A channel idle for twice its age limit is forgotten; it then starts a new epoch, which clients see as
 * {@code recovered:false}.
 *
 * <p>Only a publish creates a ring. A channel that never had a message is at offset 0 in its
 * <em>empty epoch</em>, which needs no memory: the node's epoch plus a generation counter of the
 * channel's slot. Forgetting a ring bumps its slot's generation, so a channel that comes back after
 * being forgotten has another epoch, and a client holding {@code (0, old epoch)} is told
 * {@code recovered:false} rather than missing what was published in between. Subscribing to (or
 * reading the history of) any number of distinct names therefore keeps nothing once the
 * subscribers are gone.
 */
public final class MemoryHistory implements History {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int EPOCH_SLOTS = 4096;

  private final ConcurrentHashMap<ChannelKey, Ring> rings = new ConcurrentHashMap<>();
  private final String nodeEpoch = newEpoch();
  private final AtomicIntegerArray generations = new AtomicIntegerArray(EPOCH_SLOTS);
  private final Function<ChannelKey, Retention> retention;
  private final LongSupplier clock;

  public MemoryHistory(Function<ChannelKey, Retention> retention, LongSupplier clock) {
    this.retention = retention;
    this.clock = clock;
  }

  @Override
  public Future<Message> append(ChannelKey key, String data, byte[] bytes, String from) {
    long now = clock.getAsLong();
    Ring ring = rings.computeIfAbsent(key, k -> new Ring(k, emptyEpoch(k), retention.apply(k)));
    synchronized (ring) {
      if (ring.removed) {
        return append(key, data, bytes, from);
      }
      Message m = Message.of(key, ring.top + 1, ring.epoch, data, bytes, from, now);
      ring.top = m.offset();
      ring.touched = now;
      if (ring.size > 0) {
        ring.messages.addLast(m);
        if (ring.messages.size() > ring.size) {
          ring.messages.removeFirst();
        }
      }
      return Future.succeededFuture(m);
    }
  }

  @Override
  public Future<Position> position(ChannelKey key) {
    Ring ring = rings.get(key);
    if (ring == null) {
      return Future.succeededFuture(new Position(0, emptyEpoch(key)));
    }
    synchronized (ring) {
      if (ring.removed) {
        return position(key);
      }
      ring.touched = Math.max(ring.touched, clock.getAsLong());
      return Future.succeededFuture(new Position(ring.top, ring.epoch));
    }
  }

  @Override
  public Future<Replay> since(ChannelKey key, long offset, String epoch, int limit) {
    Ring ring = rings.get(key);
    if (ring == null) {
      Position empty = new Position(0, emptyEpoch(key));
      return Future.succeededFuture(new Replay(empty.epoch().equals(epoch) && offset == 0, empty, List.of()));
    }
    synchronized (ring) {
      if (ring.removed) {
        return since(key, offset, epoch, limit);
      }
      expire(ring, clock.getAsLong());
      Position position = new Position(ring.top, ring.epoch);
      long missing = ring.top - offset;
      if (!ring.epoch.equals(epoch) || offset < 0 || missing < 0 || missing > limit) {
        return Future.succeededFuture(new Replay(false, position, List.of()));
      }
      List<Message> out = new ArrayList<>((int) missing);
      for (Message m : ring.messages) {
        if (m.offset() > offset) {
          out.add(m);
        }
      }
      boolean complete = out.size() == missing;
      return Future.succeededFuture(new Replay(complete, position, complete ? out : List.of()));
    }
  }

  @Override
  public Future<Replay> recent(ChannelKey key, int limit) {
    Ring ring = rings.get(key);
    if (ring == null) {
      return Future.succeededFuture(new Replay(true, new Position(0, emptyEpoch(key)), List.of()));
    }
    synchronized (ring) {
      expire(ring, clock.getAsLong());
      List<Message> all = new ArrayList<>(ring.messages);
      return Future.succeededFuture(new Replay(true, new Position(ring.top, ring.epoch),
          all.subList(Math.max(0, all.size() - limit), all.size())));
    }
  }

  /**
   * Drops expired messages and forgets channels idle for twice the age limit, except those still in
   * use: a live subscriber must never see its channel restart at offset 1.
   */
  public void sweep(Predicate<ChannelKey> inUse) {
    long now = clock.getAsLong();
    for (Iterator<Ring> it = rings.values().iterator(); it.hasNext(); ) {
      Ring ring = it.next();
      synchronized (ring) {
        expire(ring, now);
        if (ring.messages.isEmpty() && now - ring.touched > 2 * ring.ttlMillis && !inUse.test(ring.key)) {
          ring.removed = true;
          // before the ring goes: a publish racing with the sweep creates the next one in the new epoch
          generations.incrementAndGet(slot(ring.key));
          it.remove();
        }
      }
    }
  }

  public int channelCount() {
    return rings.size();
  }

  private void expire(Ring ring, long now) {
    while (!ring.messages.isEmpty() && now - ring.messages.peekFirst().publishedAt() > ring.ttlMillis) {
      ring.messages.removeFirst();
    }
  }

  /** The epoch of a channel without a ring (offset 0): the node's, then its slot's generation. */
  private String emptyEpoch(ChannelKey key) {
    int generation = generations.get(slot(key));
    return generation == 0 ? nodeEpoch : nodeEpoch + "." + generation;
  }

  private static int slot(ChannelKey key) {
    return (key.hashCode() & 0x7fffffff) % EPOCH_SLOTS;
  }

  private static String newEpoch() {
    return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
  }

  private static final class Ring {
    final ChannelKey key;
    final String epoch;
    final int size;
    final long ttlMillis;
    final ArrayDeque<Message> messages = new ArrayDeque<>();
    long top;
    long touched;
    boolean removed;

    Ring(ChannelKey key, String epoch, Retention retention) {
      this.key = key;
      this.epoch = epoch;
      this.size = retention.size();
      this.ttlMillis = retention.ttlMillis();
    }
  }
}
