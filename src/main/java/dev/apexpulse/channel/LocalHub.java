package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.SharedFrame;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Replay;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.protocol.MessageJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The node's channels with local subscribers: app → channel → shards → connections.
 *
 * <p>Messages can reach a node out of offset order (two publishers racing, or several nodes on the
 * event bus). Each channel therefore has a small sequencer: it hands messages to the shards strictly
 * in offset order, holds early ones, and after {@code gapMillis} fills a remaining gap from history
 * (which also recovers a message whose publisher died after storing it). On a channel that allows
 * deltas it also gives each message handed on right after its predecessor a delta frame against it
 * ({@link Message#deltaFrom}): only the sequencer knows that predecessor.
 */
public final class LocalHub {
  private static final Logger LOG = LoggerFactory.getLogger(LocalHub.class);
  private static final int MAX_HELD = 10_000;

  private final Vertx vertx;
  private final History history;
  private final PulseMetrics metrics;
  private final Shard[] shards;
  private final long gapMillis;
  private final Predicate<ChannelKey> deltaChannels;
  private final ConcurrentHashMap<ChannelKey, Entry> channels = new ConcurrentHashMap<>();
  private int registered;
  private Bridge bridge;

  /** A hub whose channels allow no deltas. */
  public LocalHub(Vertx vertx, History history, PulseMetrics metrics, int shardCount, long gapMillis) {
    this(vertx, history, metrics, shardCount, gapMillis, key -> false);
  }

  /** @param deltaChannels whether a channel allows deltas, asked once when the channel opens here */
  public LocalHub(Vertx vertx, History history, PulseMetrics metrics, int shardCount, long gapMillis,
                  Predicate<ChannelKey> deltaChannels) {
    this.vertx = vertx;
    this.history = history;
    this.metrics = metrics;
    this.shards = new Shard[shardCount];
    this.gapMillis = gapMillis;
    this.deltaChannels = deltaChannels;
    metrics.channelsInUse(channels::size);
  }

  public void bridge(Bridge bridge) {
    this.bridge = bridge;
  }

  /** A shard for the calling event-loop verticle. */
  public synchronized Shard newShard(Context context) {
    if (registered == shards.length) {
      throw new IllegalStateException("more event-loop verticles than shards: " + shards.length);
    }
    Shard s = new Shard(registered, context, metrics);
    shards[registered++] = s;
    return s;
  }

  /**
   * Adds a subscriber (on its shard's event loop). The future completes once messages published
   * from now on will reach it; read the channel position only after that. Its callbacks run on the
   * subscriber's shard: the channel's opening is shared by the subscribers of every event loop, and a
   * clustered bridge completes it on the context that opened the channel, where a subscriber's
   * connection must not be touched.
   */
  public Future<Void> subscribe(Shard shard, ChannelKey key, Subscriber s) {
    shard.add(key, s);
    Entry entry = channels.compute(key, (k, e) -> {
      Entry x = e == null ? new Entry(k, shards.length, bridge.open(k), deltaChannels.test(k)) : e;
      x.shardCounts.incrementAndGet(shard.index);
      return x;
    });
    metrics.subscriptionsChanged(1);
    Promise<Void> onShard = ((ContextInternal) shard.context).promise();
    entry.opened.onComplete(onShard);
    return onShard.future();
  }

  public void unsubscribe(Shard shard, ChannelKey key, Subscriber s) {
    shard.remove(key, s);
    metrics.subscriptionsChanged(-1);
    channels.computeIfPresent(key, (k, e) -> {
      if (e.shardCounts.decrementAndGet(shard.index) > 0 || e.total() > 0) {
        return e;
      }
      e.retire();
      bridge.close(k);
      return null;
    });
  }

  /**
   * Tells the channel's sequencer where a subscriber started, before it replies to the client. The
   * first baseline fixes the sequencer's start; later ones are never lower (positions only grow).
   */
  public void baseline(ChannelKey key, Position position) {
    Entry e = channels.get(key);
    if (e != null) {
      e.baseline(position);
    }
  }

  /** The last offset the channel's sequencer delivered here, with its epoch; null before its first baseline. */
  public Position delivered(ChannelKey key) {
    Entry e = channels.get(key);
    return e == null ? null : e.delivered();
  }

  public boolean inUse(ChannelKey key) {
    return channels.containsKey(key);
  }

  /** Channels this node receives: one bridge consumer each. */
  public int channelCount() {
    return channels.size();
  }

  public void forEachChannel(BiConsumer<ChannelKey, Integer> action) {
    channels.forEach((k, e) -> action.accept(k, e.total()));
  }

  /** A message for local subscribers, from any thread: sequenced, or at once when ephemeral (no offset). */
  public void deliver(Message m) {
    Entry e = channels.get(m.key());
    if (e == null) {
      return;
    }
    if (m.ephemeral()) {
      e.dispatch(m);
    } else {
      e.feed(m);
    }
  }

  /** An unsequenced event frame (join/leave) for local subscribers, from any thread. */
  public void deliverEvent(ChannelKey key, String frame) {
    Entry e = channels.get(key);
    if (e == null) {
      return;
    }
    SharedFrame shared = new SharedFrame(frame);
    for (Shard shard : shards) {
      if (shard != null && e.shardCounts.get(shard.index) > 0) {
        shard.context.runOnContext(v -> shard.deliverEvent(key, shared));
      }
    }
  }

  private final class Entry {
    final ChannelKey key;
    final AtomicIntegerArray shardCounts;
    final Future<Void> opened;
    final boolean deltas;
    // sequencer state, guarded by this
    long next = -1;
    Message previous; // the last message handed on, on a channel with deltas
    String epoch;
    final TreeMap<Long, Message> held = new TreeMap<>();
    long gapTimer = -1;
    boolean retired;

    Entry(ChannelKey key, int shardCount, Future<Void> opened, boolean deltas) {
      this.key = key;
      this.shardCounts = new AtomicIntegerArray(shardCount);
      this.opened = opened;
      this.deltas = deltas;
    }

    int total() {
      int t = 0;
      for (int i = 0; i < shardCounts.length(); i++) {
        t += shardCounts.get(i);
      }
      return t;
    }

    synchronized Position delivered() {
      return next < 0 || retired ? null : new Position(next - 1, epoch);
    }

    synchronized void retire() {
      retired = true;
      held.clear();
      previous = null;
      cancelGapTimer();
    }

    synchronized void baseline(Position p) {
      if (next < 0 || !p.epoch().equals(epoch)) {
        next = p.offset() + 1;
        epoch = p.epoch();
        held.headMap(next).clear();
        drain();
      }
    }

    synchronized void feed(Message m) {
      if (retired) {
        return;
      }
      if (next >= 0 && !m.epoch().equals(epoch)) {
        // history was lost and restarted: follow the new epoch from this message on
        LOG.warn("channel {} history epoch changed from {} to {}", key, epoch, m.epoch());
        epoch = m.epoch();
        next = m.offset();
        held.clear();
        cancelGapTimer(); // a wait for the old epoch's gap must not cut the next one short
      }
      if (next >= 0 && m.offset() < next) {
        return;
      }
      if (m.offset() == next && held.isEmpty()) {
        // the usual case, in order with nothing held: no detour through the map
        dispatch(m);
        next++;
        return;
      }
      held.put(m.offset(), m);
      if (next >= 0) {
        drain();
      }
      if (held.size() > MAX_HELD) {
        skipGap("too many messages held");
      } else if (!held.isEmpty() && gapTimer < 0 && next >= 0) {
        gapTimer = vertx.setTimer(gapMillis, id -> fillGap());
      }
    }

    private void drain() {
      Message m;
      while ((m = held.remove(next)) != null) {
        dispatch(m);
        next++;
      }
      if (held.isEmpty()) {
        cancelGapTimer();
      }
    }

    private void dispatch(Message m) {
      if (deltas) {
        handOnPredecessor(m);
      }
      metrics.fanout();
      for (Shard shard : shards) {
        if (shard != null && shardCounts.get(shard.index) > 0) {
          shard.context.runOnContext(v -> shard.deliver(m));
        }
      }
    }

    /**
     * A JSON message that directly follows the JSON message handed on before it gets a delta frame
     * against it, computed when a subscriber first needs it. After a gap (skipped offsets, a new epoch)
     * or a binary message there is none: subscribers get the full message.
     */
    private void handOnPredecessor(Message m) {
      Message p = previous;
      previous = m;
      if (p != null && p.offset() == m.offset() - 1 && p.epoch().equals(m.epoch()) && !p.binary() && !m.binary()) {
        String base = p.data();
        m.deltaFrom(() -> MessageJson.deltaFrame(m, base));
      }
    }

    private synchronized void fillGap() {
      gapTimer = -1;
      if (retired || held.isEmpty()) {
        return;
      }
      long from = next - 1;
      String wanted = epoch;
      // only the missing offsets: in a burst the channel may already be far beyond them
      history.range(key, from, held.firstKey() - 1, wanted).onComplete(ar -> onGapReplay(from,
          ar.succeeded() ? new Replay(!ar.result().isEmpty(), null, ar.result()) : null));
    }

    private synchronized void onGapReplay(long from, Replay replay) {
      if (retired || next - 1 != from) {
        return;
      }
      if (replay != null && replay.recovered()) {
        for (Message m : replay.messages()) {
          if (m.offset() >= next) {
            held.putIfAbsent(m.offset(), m);
          }
        }
        metrics.gapFilled();
        drain();
      }
      if (!held.isEmpty() && !held.containsKey(next)) {
        if (replay != null && replay.recovered()) {
          // that gap is filled; a later one (publishers on several nodes) gets its own wait
          if (gapTimer < 0) {
            gapTimer = vertx.setTimer(gapMillis, id -> fillGap());
          }
        } else {
          skipGap(replay == null ? "history unavailable" : "history no longer has them");
        }
      }
    }

    private void skipGap(String why) {
      long first = held.firstKey();
      LOG.warn("channel {}: offsets {}..{} never arrived ({}); skipping them", key, next, first - 1, why);
      metrics.gapSkipped(first - next);
      next = first;
      drain();
    }

    private void cancelGapTimer() {
      if (gapTimer >= 0) {
        vertx.cancelTimer(gapTimer);
        gapTimer = -1;
      }
    }
  }
}
