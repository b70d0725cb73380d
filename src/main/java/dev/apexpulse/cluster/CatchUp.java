package dev.apexpulse.cluster;

import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Position;
import io.vertx.core.Vertx;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Re-reads channels' rings from what their sequencer delivered and feeds what is there to the hub,
 * which drops what it already delivered: for the moments when a node can miss messages without a later
 * one revealing the gap (a consumer's registration still spreading after a channel opened, a member
 * joining or leaving).
 *
 * <p>A round asks for every given channel not read since the round's time; reads are paced, at most
 * {@code maxInFlight} at once and {@code perSecond} started per second, so that a membership change on
 * a node with 10,000 channels is not 10,000 reads at once (and 30,000 over its three rounds) beside the
 * traffic it serves. A read made late in one round counts for the rounds due before it, so a long round
 * makes the later ones short.
 */
final class CatchUp {
  private final Vertx vertx;
  private final LocalHub hub;
  private final History history;
  private final int replayLimit;
  private final Predicate<ChannelKey> open;
  private final int maxInFlight;
  private final long spacingNanos;
  // guarded by this
  private final LinkedHashSet<ChannelKey> queue = new LinkedHashSet<>();
  private final Map<ChannelKey, Long> readAt = new HashMap<>();
  private final Map<ChannelKey, Position> start = new HashMap<>();
  private int inFlight;
  private long nextStart = System.nanoTime();
  private boolean timerSet;
  private int roundsDue;
  private long reads;

  /** @param open whether a channel is still open here (its catch-up is dropped otherwise) */
  CatchUp(Vertx vertx, LocalHub hub, History history, int replayLimit, Predicate<ChannelKey> open, int maxInFlight, int perSecond) {
    this.vertx = vertx;
    this.hub = hub;
    this.history = history;
    this.replayLimit = replayLimit;
    this.open = open;
    this.maxInFlight = maxInFlight;
    this.spacingNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
  }

  /**
   * Rounds for the channels after each delay, reading from what their sequencer delivered, or from
   * {@code from} (a just-opened channel) until the sequencer has a baseline.
   */
  void schedule(Collection<ChannelKey> keys, Position from, long... delaysMillis) {
    List<ChannelKey> copy = List.copyOf(keys);
    if (from != null) {
      synchronized (this) {
        copy.forEach(k -> start.put(k, from));
      }
    }
    synchronized (this) {
      roundsDue += delaysMillis.length;
    }
    for (long delay : delaysMillis) {
      long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
      vertx.setTimer(delay, t -> round(copy, due));
    }
  }

  /** The channel closed here: nothing more to read for it. */
  synchronized void forget(ChannelKey key) {
    queue.remove(key);
    readAt.remove(key);
    start.remove(key);
  }

  /** Reads started since this node began: for tests and measurements. */
  synchronized long reads() {
    return reads;
  }

  /** No round due, nothing queued or being read. */
  synchronized boolean idle() {
    return roundsDue == 0 && queue.isEmpty() && inFlight == 0;
  }

  private synchronized void round(List<ChannelKey> keys, long due) {
    roundsDue--;
    for (ChannelKey k : keys) {
      Long last = readAt.get(k);
      if (open.test(k) && (last == null || last - due < 0)) {
        queue.add(k);
      }
    }
    pump();
  }

  private synchronized void pump() {
    while (inFlight < maxInFlight && !queue.isEmpty()) {
      long now = System.nanoTime();
      if (now - nextStart < 0) {
        if (!timerSet) {
          timerSet = true;
          vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextStart - now)), t -> {
            synchronized (this) {
              timerSet = false;
              pump();
            }
          });
        }
        return;
      }
      ChannelKey key = queue.iterator().next();
      queue.remove(key);
      Position delivered = hub.delivered(key);
      Position since = delivered != null ? delivered : start.get(key);
      if (!open.test(key) || since == null) {
        continue;
      }
      nextStart = Math.max(nextStart, now - spacingNanos) + spacingNanos;
      readAt.put(key, now);
      inFlight++;
      reads++;
      history.since(key, since.offset(), since.epoch(), replayLimit).onComplete(ar -> {
        if (ar.succeeded() && ar.result().recovered() && open.test(key)) {
          ar.result().messages().forEach(hub::deliver);
        }
        synchronized (this) {
          inFlight--;
          pump();
        }
      });
    }
  }
}
