package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The idempotency keys of a standalone node, in memory: one window for all, so insertion order is
 * expiry order and the oldest key is always first. At most {@code maxKeys}: beyond that the oldest is
 * forgotten before its window ends ({@code pulse_idempotency_keys_evicted_total}). The keys die with
 * the node, like its history.
 */
public final class MemoryIdempotency implements Idempotency {
  private final Vertx vertx;
  private final long windowMillis;
  private final int maxKeys;
  private final LongSupplier clock;
  private final PulseMetrics metrics;
  private final LinkedHashMap<String, Entry> keys = new LinkedHashMap<>();

  /** The first publish's result (pending while it runs) and when its key is forgotten. */
  private record Entry(Future<Published> result, long expiresAt) {}

  public MemoryIdempotency(Vertx vertx, long windowMillis, int maxKeys, LongSupplier clock, PulseMetrics metrics) {
    this.vertx = vertx;
    this.windowMillis = windowMillis;
    this.maxKeys = maxKeys;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public Future<Published> once(ChannelKey channel, String key, Supplier<Future<Published>> publish) {
    String id = channel + "|" + key;
    Promise<Published> first = Promise.promise();
    Entry mine = new Entry(first.future(), 0);
    Entry earlier;
    synchronized (keys) {
      long now = clock.getAsLong();
      expire(now);
      earlier = keys.get(id);
      if (earlier == null) {
        if (keys.size() >= maxKeys) {
          Iterator<Map.Entry<String, Entry>> oldest = keys.entrySet().iterator();
          oldest.next();
          oldest.remove();
          metrics.idempotencyEvicted();
        }
        mine = new Entry(first.future(), now + windowMillis);
        keys.put(id, mine);
      }
    }
    if (earlier != null) {
      metrics.idempotentRepeat();
      // the first may complete on another event loop: answer on the caller's
      Promise<Published> here = ((ContextInternal) vertx.getOrCreateContext()).promise();
      earlier.result.onComplete(here);
      return here.future();
    }
    Entry entry = mine;
    publish.get().onComplete(ar -> {
      if (ar.failed()) {
        synchronized (keys) {
          keys.remove(id, entry);
        }
      }
      first.handle(ar);
    });
    return first.future();
  }

  /** Keys remembered now. */
  public long size() {
    synchronized (keys) {
      expire(clock.getAsLong());
      return keys.size();
    }
  }

  private void expire(long now) {
    Iterator<Entry> it = keys.values().iterator();
    while (it.hasNext() && it.next().expiresAt <= now) {
      it.remove();
    }
  }
}
