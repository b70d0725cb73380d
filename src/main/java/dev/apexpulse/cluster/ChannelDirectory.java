package dev.apexpulse.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Which channels have history in the cluster, the epoch of each, and the forgetting of idle ones.
 *
 * <p>A channel that had a message has an entry in {@code pulse.epochs} (its id → its epoch) and a
 * ringbuffer in the same partition. A channel without an entry is at offset 0 in its <em>empty
 * epoch</em>: the cluster's base (entry "", rotated when a partition is lost) plus the generation of
 * the channel's slot (one of {@value #SLOTS}, in {@code pulse.generations}); its first message takes
 * that epoch, so a client that saw it empty continues without a gap.
 *
 * <p><b>Forgetting.</b> Once a channel's ring is empty (every message older than {@code
 * history.ttlSeconds}) the member owning its entry marks it ({@code epoch!time}); a sweep at least
 * {@link #grace} later deletes it (entry removed, ring destroyed) unless something used it meanwhile.
 * Every use of a channel revalidates its entry at least every {@link #validity} (a mark found is taken
 * back), and nodes with subscribers revalidate their channels at every sweep, so no node can still be
 * using a channel when it goes: a deletion needs a mark older than the grace, longer than the validity.
 * Before deleting, the sweep bumps the slot's generation if the channel's epoch is that slot's empty
 * epoch, so the channel comes back in another epoch and a client holding an old offset gets
 * {@code recovered:false}, never another message under it. Creation and deletion of a channel take
 * the entry's lock. Members from before this protocol would read a mark as an epoch: nothing is marked
 * unless every data member carries {@value #PROTOCOL_ATTRIBUTE}.
 *
 * <p>All methods but {@link #forWrite} block (Hazelcast calls): call them on worker threads.
 */
final class ChannelDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelDirectory.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  static final int SLOTS = 4096;
  /** Reserved id of the cluster's base empty epoch: channel ids are "app:channel", never empty. */
  static final String BASE_ID = "";
  /** Member attribute of nodes that follow this protocol (caches revalidated, marks understood). */
  static final String PROTOCOL_ATTRIBUTE = "pulse.history";
  static final String PROTOCOL = "2";
  private static final char MARK = '!';
  private static final long LOCK_LEASE_SECONDS = 30;

  /**
   * Where a channel's history lives and how it is read: its ring's name (per retention), the ring's
   * capacity, and the mark its retention adds to the epoch clients see (empty for {@code history:}'s).
   */
  record Layout(String ringName, int capacity, String epochMark) {}

  /** A channel with history: its ring, layout and epoch, and when this node last checked its entry. */
  record Channel(String id, Ringbuffer<byte[]> ring, Layout layout, String epoch, long checkedNanos) {
    /** The epoch as clients see it. */
    String visibleEpoch() {
      return epoch + layout.epochMark();
    }
  }

  private final HazelcastInstance hz;
  private final Function<String, Layout> layouts;
  private final IMap<String, String> epochs;
  private final IMap<Integer, Integer> generations;
  private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, Integer> knownGenerations = new ConcurrentHashMap<>();
  private final UUID lostListener;
  private final UUID generationListener;
  private final UUID generationsLostListener;
  private final long sweepMillis;
  private final long validityNanos;
  private final long graceMillis;
  /** The base empty epoch, once read; null after a partition loss. */
  private volatile String base;

  /** @param layouts each channel's layout by id, read when the channel is (re)checked */
  ChannelDirectory(HazelcastInstance hz, int ttlSeconds, Function<String, Layout> layouts) {
    this.hz = hz;
    this.layouts = layouts;
    this.epochs = hz.getMap(HazelcastSetup.EPOCHS);
    this.generations = hz.getMap(HazelcastSetup.GENERATIONS);
    this.sweepMillis = Math.max(1000, Math.min(60_000, ttlSeconds * 100L));
    this.validityNanos = TimeUnit.MILLISECONDS.toNanos(sweepMillis);
    this.graceMillis = 3 * sweepMillis;
    // a partition lost with all its backups takes rings and epochs with it (they share partitions):
    // forget what we cached, the next use starts a new epoch. (Losing only the owner, whose backup
    // takes over, fires no map partition-lost event.)
    this.lostListener = epochs.addPartitionLostListener(e -> {
      LOG.warn("Hazelcast partition {} lost with its backups: channel histories in it restart with a new epoch",
          e.getPartitionId());
      channels.clear();
      // channels whose epoch entry was lost come back in another epoch: a client that saw one of them
      // empty must not take the new messages for the old ones (every node rotates; the last put wins
      // for the nodes that read it later, which costs at most a spurious recovered:false)
      String fresh = newEpoch();
      base = fresh;
      epochs.putAsync(BASE_ID, fresh);
    });
    this.generationListener = generations.addEntryListener(new GenerationListener(), true);
    // a lost generation could hand out an epoch a forgotten channel had: rotate the base as well
    this.generationsLostListener = generations.addPartitionLostListener(e -> {
      LOG.warn("Hazelcast partition {} of {} lost with its backups: empty channels move to a new epoch",
          e.getPartitionId(), HazelcastSetup.GENERATIONS);
      String fresh = newEpoch();
      base = fresh;
      epochs.putAsync(BASE_ID, fresh);
    });
  }

  /** How often {@link #sweep} should run: a tenth of the history TTL, between 1 and 60 s. */
  long sweepMillis() {
    return sweepMillis;
  }

  /** The channel as this node last checked it, if that is recent enough to use without asking (no call). */
  private Channel cached(String id) {
    Channel ch = channels.get(id);
    return ch != null && System.nanoTime() - ch.checkedNanos < validityNanos ? ch : null;
  }

  /**
   * The channel for a write without a worker thread when it can be: a fresh cache entry as it is, a
   * stale one after an asynchronous read of its entry shows it unchanged; otherwise (no entry cached,
   * the entry marked, gone or changed) {@link #findOrCreate} on {@code workers}.
   */
  Future<Channel> forWrite(String id, Context ctx, WorkerExecutor workers) {
    Channel ch = channels.get(id);
    if (ch == null) {
      return workers.executeBlocking(() -> findOrCreate(id), false);
    }
    if (System.nanoTime() - ch.checkedNanos < validityNanos) {
      return Future.succeededFuture(ch);
    }
    return Future.fromCompletionStage(epochs.getAsync(id), ctx).compose(value -> ch.epoch().equals(value)
        ? Future.succeededFuture(remember(id, value))
        : workers.executeBlocking(() -> findOrCreate(id), false));
  }

  /** The channel, or null when it has no history (never had a message, or was forgotten). */
  Channel find(String id) {
    Channel ch = cached(id);
    return ch != null ? ch : check(id);
  }

  /** The channel, created in its empty epoch for its first message if it has no history. */
  Channel findOrCreate(String id) {
    Channel ch = find(id);
    if (ch != null) {
      return ch;
    }
    epochs.lock(id, LOCK_LEASE_SECONDS, TimeUnit.SECONDS);
    try {
      ch = check(id);
      if (ch != null) {
        return ch;
      }
      // a ring without an entry was recreated by a write that came after the channel was forgotten
      Ringbuffer<byte[]> ring = ring(id);
      if (ring.tailSequence() >= 0) {
        ring.destroy();
      }
      String epoch = emptyEpoch(id, true);
      String raced = epochs.putIfAbsent(id, epoch);
      return remember(id, raced == null ? epoch : epochOf(raced));
    } finally {
      epochs.unlock(id);
    }
  }

  /**
   * After a write on a channel checked so long ago that it could have been forgotten meanwhile
   * ({@link #mayHaveExpired}): is the channel still the one written to? A forgotten channel's ring may
   * have been recreated by that write; it is destroyed again (unless a new incarnation exists, which
   * uses the same ring) and the write must not be acknowledged.
   */
  boolean stillCurrent(Channel written) {
    Channel now = check(written.id());
    if (now != null && now.epoch().equals(written.epoch())) {
      return true;
    }
    if (now == null) {
      epochs.lock(written.id(), LOCK_LEASE_SECONDS, TimeUnit.SECONDS);
      try {
        if (!epochs.containsKey(written.id())) {
          written.ring().destroy();
        }
      } finally {
        epochs.unlock(written.id());
      }
    }
    return false;
  }

  /** Whether the channel could have been forgotten since it was checked (half the grace: a margin for clocks). */
  boolean mayHaveExpired(Channel ch) {
    return System.nanoTime() - ch.checkedNanos() >= TimeUnit.MILLISECONDS.toNanos(graceMillis) / 2;
  }

  /** The epoch a channel without history is in (offset 0). */
  String emptyEpoch(String id) {
    return emptyEpoch(id, false);
  }

  /**
   * Keeps the channels this node has subscribers for, forgets the cached ones it no longer uses, and
   * on the entries this member owns marks channels whose ring emptied and deletes those marked for
   * longer than the grace.
   */
  void sweep(Collection<String> inUse) {
    keep(inUse);
    long stale = System.nanoTime() - 2 * validityNanos;
    channels.values().removeIf(ch -> ch.checkedNanos() < stale && !inUse.contains(ch.id()));
    if (!everyMemberForgets()) {
      return;
    }
    long now = System.currentTimeMillis();
    for (String id : epochs.localKeySet()) {
      if (id.equals(BASE_ID)) {
        continue;
      }
      String value = epochs.get(id);
      if (value == null) {
        continue;
      }
      int mark = value.indexOf(MARK);
      if (mark < 0) {
        if (ring(id).size() == 0) {
          epochs.replace(id, value, value + MARK + now);
        }
      } else if (now - Long.parseLong(value.substring(mark + 1)) >= graceMillis) {
        forget(id, value);
      }
    }
  }

  /** Channels this node holds in its cache. */
  int cachedCount() {
    return channels.size();
  }

  void close() {
    try {
      epochs.removePartitionLostListener(lostListener);
      generations.removeEntryListener(generationListener);
      generations.removePartitionLostListener(generationsLostListener);
    } catch (RuntimeException e) {
      LOG.debug("listeners not removed: {}", e.toString());
    }
  }

  private void forget(String id, String marked) {
    epochs.lock(id, LOCK_LEASE_SECONDS, TimeUnit.SECONDS);
    try {
      if (!marked.equals(epochs.get(id))) {
        return; // used again meanwhile
      }
      Ringbuffer<byte[]> ring = ring(id);
      String epoch = epochOf(marked);
      if (ring.size() > 0) {
        epochs.replace(id, marked, epoch); // a write that was under way when it was marked
        return;
      }
      if (epoch.equals(emptyEpoch(id, true))) {
        bumpGeneration(slot(id));
      }
      epochs.remove(id, marked);
      ring.destroy();
      channels.remove(id);
    } finally {
      epochs.unlock(id);
    }
  }

  /**
   * Checks the entries of channels with subscribers here that were not checked within the validity, in
   * one call per member: they must not be forgotten under their subscribers (who would see offsets
   * start again at 1). A channel that had no history when it was subscribed may have one now.
   */
  private void keep(Collection<String> inUse) {
    java.util.Set<String> due = new java.util.HashSet<>();
    for (String id : inUse) {
      if (cached(id) == null) {
        due.add(id);
      }
    }
    if (due.isEmpty()) {
      return;
    }
    java.util.Map<String, String> values = epochs.getAll(due);
    for (String id : due) {
      String value = values.get(id);
      if (value == null) {
        channels.remove(id);
      } else if (value.equals(epochOf(value))) {
        remember(id, value);
      } else {
        check(id);
      }
    }
  }

  /** Reads the entry: remembers the channel, takes a mark back, or forgets it when there is none. */
  private Channel check(String id) {
    while (true) {
      String value = epochs.get(id);
      if (value == null) {
        channels.remove(id);
        return null;
      }
      String epoch = epochOf(value);
      if (value.equals(epoch) || epochs.replace(id, value, epoch)) {
        return remember(id, epoch);
      }
      // deleted or taken back by someone else meanwhile: read again
    }
  }

  private Channel remember(String id, String epoch) {
    Layout layout = layouts.apply(id);
    Channel ch = new Channel(id, hz.getRingbuffer(layout.ringName()), layout, epoch, System.nanoTime());
    channels.put(id, ch);
    return ch;
  }

  private Ringbuffer<byte[]> ring(String id) {
    return hz.getRingbuffer(layouts.apply(id).ringName());
  }

  private String emptyEpoch(String id, boolean fresh) {
    String b = fresh ? null : base;
    if (b == null) {
      String made = newEpoch();
      String existing = epochs.putIfAbsent(BASE_ID, made);
      b = existing == null ? made : existing;
      base = b;
    }
    int slot = slot(id);
    Integer g = fresh ? null : knownGenerations.get(slot);
    if (g == null) {
      Integer stored = generations.get(slot);
      g = knownGenerations.merge(slot, stored == null ? 0 : stored, Math::max);
    }
    return g == 0 ? b : b + "." + g;
  }

  private void bumpGeneration(int slot) {
    while (true) {
      Integer g = generations.get(slot);
      if (g == null ? generations.putIfAbsent(slot, 1) == null : generations.replace(slot, g, g + 1)) {
        knownGenerations.merge(slot, g == null ? 1 : g + 1, Math::max);
        return;
      }
    }
  }

  private boolean everyMemberForgets() {
    for (Member m : hz.getCluster().getMembers()) {
      if (!m.isLiteMember() && !PROTOCOL.equals(m.getAttribute(PROTOCOL_ATTRIBUTE))) {
        return false;
      }
    }
    return true;
  }

  static int slot(String id) {
    return Math.floorMod(id.hashCode(), SLOTS);
  }

  static String epochOf(String value) {
    int mark = value.indexOf(MARK);
    return mark < 0 ? value : value.substring(0, mark);
  }

  private static String newEpoch() {
    return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
  }

  /** Generations only grow: another node's bump reaches this one's cache. */
  private final class GenerationListener implements EntryAddedListener<Integer, Integer>, EntryUpdatedListener<Integer, Integer> {
    @Override
    public void entryAdded(com.hazelcast.core.EntryEvent<Integer, Integer> e) {
      knownGenerations.merge(e.getKey(), e.getValue(), Math::max);
    }

    @Override
    public void entryUpdated(com.hazelcast.core.EntryEvent<Integer, Integer> e) {
      knownGenerations.merge(e.getKey(), e.getValue(), Math::max);
    }
  }
}
