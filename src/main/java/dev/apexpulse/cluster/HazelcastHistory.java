package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ChannelDirectory.Channel;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Replay;
import dev.apexpulse.history.Retention;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Channel history in the cluster: one Hazelcast ringbuffer per channel ({@code pulse.h.*}, capacity
 * and TTL from {@code history:}, synchronous backup; a channel whose options give it another
 * {@link Retention} has its ring under that retention's own name pattern, see
 * {@link HazelcastSetup#ringPrefix}, and its epoch marked with it, so that changing a pattern's history
 * settings restarts its channels in a new epoch rather than reusing offsets). The ring's sequence is the offset
 * (sequence + 1, so the first message is offset 1, as standalone), hence unique and increasing per
 * channel cluster-wide. Which channels have a ring, their epochs, and the forgetting of idle ones are
 * the {@link ChannelDirectory}'s.
 *
 * <p>The ring is named {@code pulse.h.<id>@<id>} so it lives in the same partition as its epoch entry:
 * both survive a member's death on the same backup, and are lost together only when the partition is
 * (a whole-cluster restart, or more members dying at once than there are backups), which then gives a
 * fresh ring and a fresh epoch: clients see {@code recovered:false}, never wrong messages.
 *
 * <p>Threading: appends use the async Hazelcast API; reads need the ring's tail, which Hazelcast
 * offers only as a blocking call, so they run on a small worker pool. Every future completes on the
 * caller's Vert.x context.
 */
public final class HazelcastHistory implements History {
  /** Hazelcast's limit for one readMany. */
  private static final int MAX_BATCH = 1000;
  /** Stored record of a JSON message. */
  private static final byte VERSION = 1;
  /** Stored record of a binary message: the same layout, the payload is the raw bytes. */
  private static final byte VERSION_BINARY = 2;
  /** Records 1 and 2 with the idempotency key of their publish ({@link #find}). */
  private static final byte VERSION_TAGGED = 3;
  private static final byte VERSION_BINARY_TAGGED = 4;

  private final Vertx vertx;
  private final ChannelDirectory directory;
  private final WorkerExecutor workers;
  private final Function<String, ChannelDirectory.Layout> layouts;
  private final BooleanSupplier quorum;

  /**
   * @param layouts the layouts the directory was made with ({@link #layouts})
   * @param quorum  whether this member still hears from a majority (split-brain protection; always true
   *                when it is off): an append is acknowledged only if it still does once the write is done
   */
  HazelcastHistory(Vertx vertx, ChannelDirectory directory, WorkerExecutor workers,
                   Function<String, ChannelDirectory.Layout> layouts, BooleanSupplier quorum) {
    this.vertx = vertx;
    this.directory = directory;
    this.workers = workers;
    this.layouts = layouts;
    this.quorum = quorum;
  }

  /**
   * Each channel's layout from its retention: {@code history:}'s keeps the plain ring names and
   * epochs; another gets its retention's ring pattern and an epoch mark.
   */
  static Function<String, ChannelDirectory.Layout> layouts(Function<ChannelKey, Retention> retention, Retention global) {
    return id -> {
      Retention r = retention.apply(key(id));
      return new ChannelDirectory.Layout(ringName(HazelcastSetup.ringPrefix(r, global), id), r.size(),
          r.equals(global) ? "" : "." + r.size() + "t" + r.ttlSeconds());
    };
  }

  /** The channel's id in Hazelcast: the app has no ':' so "app:channel" is unambiguous. */
  static String id(ChannelKey key) {
    return key.app() + ":" + key.channel();
  }

  /** The channel of an id made by {@link #id}. */
  static ChannelKey key(String id) {
    int colon = id.indexOf(':');
    return new ChannelKey(id.substring(0, colon), id.substring(colon + 1));
  }

  /**
   * {@code pulse.h.<id>@<id>}: the part after the first '@' is the partition key, so the part before
   * it must have none ('@' is allowed in channel names; '%' is not, so "%40" cannot clash).
   */
  static String ringName(String id) {
    return ringName(HazelcastSetup.RING_PREFIX, id);
  }

  static String ringName(String prefix, String id) {
    return prefix + id.replace("@", "%40") + "@" + id;
  }

  @Override
  public Future<Message> append(ChannelKey key, String data, byte[] bytes, String from) {
    return append(key, data, bytes, from, null);
  }

  @Override
  public Future<Message> append(ChannelKey key, String data, byte[] bytes, String from, String tag) {
    Context ctx = vertx.getOrCreateContext();
    long now = System.currentTimeMillis();
    byte[] item = bytes == null ? encode(now, from, tag, data) : encodeBinary(now, from, tag, bytes);
    return directory.forWrite(id(key), ctx, workers).compose(ch -> Future.fromCompletionStage(ch.ring().addAsync(item, OverflowPolicy.OVERWRITE), ctx)
        .compose(seq -> {
          // Hazelcast completes a write whose backup never answered (the member is cut off) without an
          // error once its backup timeout is over; by then the quorum check no longer passes
          if (!quorum.getAsBoolean()) {
            return Future.failedFuture(new IllegalStateException("this member is not in the majority of the cluster"));
          }
          Message m = Message.of(key, seq + 1, ch.visibleEpoch(), data, bytes, from, now);
          if (!directory.mayHaveExpired(ch)) {
            return Future.succeededFuture(m);
          }
          // a write stuck for long (Hazelcast retrying) may have landed after the channel was forgotten
          return blocking(() -> directory.stillCurrent(ch)).compose(current -> current ? Future.succeededFuture(m)
              : Future.failedFuture(new IllegalStateException("channel " + key + " was forgotten while publishing")));
        }));
  }

  @Override
  public Future<Position> position(ChannelKey key) {
    return blocking(() -> {
      Channel ch = directory.find(id(key));
      if (ch == null) {
        return new Position(0, emptyEpoch(key));
      }
      return new Position(ch.ring().tailSequence() + 1, ch.visibleEpoch());
    });
  }

  @Override
  public Future<Replay> since(ChannelKey key, long offset, String epoch, int limit) {
    return blocking(() -> {
      Channel ch = directory.find(id(key));
      if (ch == null) {
        Position empty = new Position(0, emptyEpoch(key));
        return new Replay(empty.epoch().equals(epoch) && offset == 0, empty, List.<Message>of());
      }
      long tail = ch.ring().tailSequence();
      Position position = new Position(tail + 1, ch.visibleEpoch());
      long missing = position.offset() - offset;
      if (!position.epoch().equals(epoch) || offset < 0 || missing < 0 || missing > limit || missing > ch.layout().capacity()) {
        return new Replay(false, position, List.of());
      }
      // offset n has sequence n - 1: the first one wanted (offset + 1) has sequence offset
      List<Message> out = read(key, ch, offset, tail);
      boolean complete = out.size() == missing && (missing == 0 || out.get(0).offset() == offset + 1);
      return new Replay(complete, position, complete ? out : List.of());
    });
  }

  @Override
  public Future<Replay> recent(ChannelKey key, int limit) {
    return blocking(() -> {
      Channel ch = directory.find(id(key));
      if (ch == null) {
        return new Replay(true, new Position(0, emptyEpoch(key)), List.<Message>of());
      }
      long tail = ch.ring().tailSequence();
      long from = Math.max(0, tail + 1 - Math.min(limit, ch.layout().capacity()));
      // reading before the head starts at the head: expired messages are simply not there
      return new Replay(true, new Position(tail + 1, ch.visibleEpoch()), read(key, ch, from, tail));
    });
  }

  @Override
  public Future<List<Message>> range(ChannelKey key, long after, long upTo, String epoch) {
    return blocking(() -> {
      Channel ch = directory.find(id(key));
      if (ch == null || !ch.visibleEpoch().equals(epoch) || after < 0 || upTo <= after || upTo - after > ch.layout().capacity()) {
        return List.of();
      }
      // offsets after+1..upTo are sequences after..upTo-1
      List<Message> out = read(key, ch, after, upTo - 1);
      return out.size() == upTo - after && out.get(0).offset() == after + 1 ? out : List.<Message>of();
    });
  }

  /**
   * The offset of the message stored with this tag (the idempotency key of its publish), newest first
   * through the whole ring, or null when the ring does not hold it (never stored, or overwritten).
   */
  public Future<Position> find(ChannelKey key, String tag) {
    return blocking(() -> {
      Channel ch = directory.find(id(key));
      if (ch == null) {
        return null;
      }
      long head = ch.ring().headSequence();
      long upTo = ch.ring().tailSequence();
      while (upTo >= head && upTo >= 0) {
        long from = Math.max(head, upTo - MAX_BATCH + 1);
        ReadResultSet<byte[]> rs = await(ch.ring().readManyAsync(from, 0, (int) (upTo - from + 1), null));
        for (int i = rs.size() - 1; i >= 0; i--) {
          if (tag.equals(tagOf(rs.get(i)))) {
            return new Position(rs.getSequence(i) + 1, ch.visibleEpoch());
          }
        }
        upTo = from - 1;
      }
      return null;
    });
  }

  @Override
  public void close() {
    directory.close();
  }

  /** The epoch of a channel without a message, as its first publish will give it. */
  private String emptyEpoch(ChannelKey key) {
    String id = id(key);
    return directory.emptyEpoch(id) + layouts.apply(id).epochMark();
  }

  /** Messages with sequences from..tail, contiguous from the first one found (the head may have moved). */
  private List<Message> read(ChannelKey key, Channel ch, long from, long tail) throws Exception {
    int capacity = ch.layout().capacity();
    String epoch = ch.visibleEpoch();
    List<Message> out = new ArrayList<>((int) Math.max(0, Math.min(tail - from + 1, capacity)));
    long next = from;
    while (next <= tail) {
      int count = (int) Math.min(tail - next + 1, Math.min(capacity, MAX_BATCH));
      ReadResultSet<byte[]> rs = await(ch.ring().readManyAsync(next, 0, count, null));
      if (rs.size() == 0) {
        break;
      }
      for (int i = 0; i < rs.size(); i++) {
        long seq = rs.getSequence(i);
        if (seq > tail) {
          return out;
        }
        if (!out.isEmpty() && seq != next) {
          // overwritten while reading: what we have is no longer contiguous
          return out.subList(0, 0);
        }
        out.add(decode(key, seq + 1, epoch, rs.get(i)));
        next = seq + 1;
      }
    }
    return out;
  }

  private <T> Future<T> blocking(java.util.concurrent.Callable<T> task) {
    // the WorkerExecutor completes the future on the caller's context
    return workers.executeBlocking(task, false);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  // ---- stored form: version (1 JSON, 2 binary; 3 and 4 the same with a tag), publishedAt, from
  // (length -1 = none), tag (versions 3 and 4: short length + UTF-8), payload (rest); no Java
  // serialization. Untagged messages keep versions 1 and 2, which every node reads. ----

  static byte[] encode(long publishedAt, String from, String tag, String data) {
    return record(tag == null ? VERSION : VERSION_TAGGED, publishedAt, from, tag, data.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] encodeBinary(long publishedAt, String from, String tag, byte[] bytes) {
    return record(tag == null ? VERSION_BINARY : VERSION_BINARY_TAGGED, publishedAt, from, tag, bytes);
  }

  private static byte[] record(byte version, long publishedAt, String from, String tag, byte[] d) {
    byte[] f = from == null ? null : from.getBytes(StandardCharsets.UTF_8);
    byte[] t = tag == null ? null : tag.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + (f == null ? 0 : f.length) + (t == null ? 0 : 2 + t.length) + d.length);
    b.put(version).putLong(publishedAt).putInt(f == null ? -1 : f.length);
    if (f != null) {
      b.put(f);
    }
    if (t != null) {
      b.putShort((short) t.length).put(t);
    }
    return b.put(d).array();
  }

  /** The tag of a stored record, or null (an untagged record). */
  static String tagOf(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    byte version = b.get();
    if (version != VERSION_TAGGED && version != VERSION_BINARY_TAGGED) {
      return null;
    }
    b.position(b.position() + 8);
    int fl = b.getInt();
    b.position(b.position() + Math.max(0, fl));
    int tl = b.getShort();
    return new String(bytes, b.position(), tl, StandardCharsets.UTF_8);
  }

  static Message decode(ChannelKey key, long offset, String epoch, byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    byte version = b.get();
    if (version < VERSION || version > VERSION_BINARY_TAGGED) {
      throw new IllegalStateException("unknown history record version in " + key);
    }
    long at = b.getLong();
    int fl = b.getInt();
    String from = null;
    if (fl >= 0) {
      from = new String(bytes, b.position(), fl, StandardCharsets.UTF_8);
      b.position(b.position() + fl);
    }
    if (version >= VERSION_TAGGED) {
      b.position(b.position() + 2 + b.getShort(b.position()));
    }
    if (version == VERSION_BINARY || version == VERSION_BINARY_TAGGED) {
      return Message.of(key, offset, epoch, null, Arrays.copyOfRange(bytes, b.position(), bytes.length), from, at);
    }
    String data = new String(bytes, b.position(), bytes.length - b.position(), StandardCharsets.UTF_8);
    return new Message(key, offset, epoch, data, from, at);
  }
}
