package dev.apexpulse.metrics;

import dev.apexpulse.core.ChannelKey;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Messages published through this node per channel since the last {@link #drain}, for the operator
 * console's busiest channels. Bounded: past {@link #MAX_CHANNELS} distinct channels in one window the
 * rest are only counted in total.
 */
public final class ChannelRates {
  public static final int MAX_CHANNELS = 10_000;

  private final AtomicReference<ConcurrentHashMap<ChannelKey, LongAdder>> window =
      new AtomicReference<>(new ConcurrentHashMap<>());

  public void published(ChannelKey key) {
    ConcurrentHashMap<ChannelKey, LongAdder> w = window.get();
    LongAdder n = w.get(key);
    if (n == null) {
      if (w.size() >= MAX_CHANNELS) {
        return;
      }
      n = w.computeIfAbsent(key, k -> new LongAdder());
    }
    n.increment();
  }

  /** The counts of the window that ends now; a new window starts. */
  public Map<ChannelKey, LongAdder> drain() {
    return window.getAndSet(new ConcurrentHashMap<>());
  }
}
