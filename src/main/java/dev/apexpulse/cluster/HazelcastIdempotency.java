package dev.apexpulse.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryEvictedListener;
import dev.apexpulse.channel.Idempotency;
import dev.apexpulse.channel.Published;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.history.Position;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * The idempotency keys of a cluster: one entry per key and channel in the {@value HazelcastSetup#IDEMPOTENCY}
 * map (TTL: {@code idempotency.windowSeconds}; about {@code idempotency.maxKeys} per member at most, least
 * recently used evicted first, {@code pulse_idempotency_keys_evicted_total}; one synchronous backup, so a
 * key survives a member's death as the channel's ring does). Keys are spread over all partitions (not
 * kept with their channel's ring): Hazelcast bounds a map per partition, and one busy channel must not
 * crowd its own keys out.
 *
 * <p>A publish claims its key with a pending entry naming its member, publishes (its ring record tagged
 * with the key), then records the offset. A repeat finds the offset and publishes nothing; one that finds
 * the key pending waits while the claiming member lives. If that member died, or the claim is older than
 * {@value #ABANDONED_MILLIS} ms, the ring itself says whether the message was stored
 * ({@link HazelcastHistory#find}): if it was, its offset is the answer and nothing is published; if not,
 * the repeat takes the claim over and publishes. So a publisher that dies between storing a message and
 * recording its offset still leaves one message, not two.
 */
public final class HazelcastIdempotency implements Idempotency {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastIdempotency.class);
  /** How long a repeat waits, in all, for a claim whose member is alive to finish. */
  static final long MAX_WAIT_MILLIS = 5000;
  /** A claim this old is abandoned even when its member is alive (a publish takes milliseconds). */
  static final long ABANDONED_MILLIS = 60_000;
  private static final String PENDING = "p ";
  private static final String DONE = "d ";

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final WorkerExecutor workers;
  private final HazelcastHistory history;
  private final PulseMetrics metrics;
  private final IMap<String, String> keys;
  private final String member;

  public HazelcastIdempotency(Vertx vertx, HazelcastInstance hz, WorkerExecutor workers, HazelcastHistory history,
                              PulseMetrics metrics) {
    this.vertx = vertx;
    this.hz = hz;
    this.workers = workers;
    this.history = history;
    this.metrics = metrics;
    this.keys = hz.getMap(HazelcastSetup.IDEMPOTENCY);
    this.member = hz.getCluster().getLocalMember().getUuid().toString();
    // forgotten before their window ended: a repeat after that publishes again
    keys.addLocalEntryListener((EntryEvictedListener<String, String>) e -> metrics.idempotencyEvicted());
  }

  /** {@code <channel id>|<key>}: the app id has no '|' and no ':', channel names no '|', so the first '|' separates. */
  static String mapKey(ChannelKey channel, String key) {
    return HazelcastHistory.id(channel) + "|" + key;
  }

  /** Keys this member holds (its partitions' share of the map). */
  public long ownedKeys() {
    return keys.getLocalMapStats().getOwnedEntryCount();
  }

  @Override
  public Future<Published> once(ChannelKey channel, String key, Supplier<Future<Published>> publish) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    Promise<Published> answer = ctx.promise();
    new Claim(ctx, channel, key, mapKey(channel, key), publish, answer).claim();
    return answer.future();
  }

  /** One publish with a key, from its claim to its answer; runs on the caller's context. */
  private final class Claim {
    final ContextInternal ctx;
    final ChannelKey channel;
    final String key;
    final String mapKey;
    final Supplier<Future<Published>> publish;
    final Promise<Published> answer;
    long waited;

    Claim(ContextInternal ctx, ChannelKey channel, String key, String mapKey, Supplier<Future<Published>> publish,
          Promise<Published> answer) {
      this.ctx = ctx;
      this.channel = channel;
      this.key = key;
      this.mapKey = mapKey;
      this.publish = publish;
      this.answer = answer;
    }

    void claim() {
      String pending = PENDING + member + " " + System.currentTimeMillis();
      workers.executeBlocking(() -> keys.putIfAbsent(mapKey, pending), false).onComplete(ar -> {
        if (ar.failed()) {
          unavailable(ar.cause());
        } else if (ar.result() == null) {
          own(pending);
        } else {
          seen(ar.result());
        }
      });
    }

    private void seen(String existing) {
      if (existing.startsWith(DONE)) {
        repeat(done(existing));
      } else if (abandoned(existing)) {
        recover(existing);
      } else if (waited >= MAX_WAIT_MILLIS) {
        answer.fail(new PulseException(ErrorCode.UNAVAILABLE, "a publish with this idempotencyKey is still in progress; try again"));
      } else {
        long delay = Math.min(200, Math.max(10, waited));
        waited += delay;
        vertx.setTimer(delay, t -> claim());
      }
    }

    /** The claimer is gone (or stuck): the ring says whether its message was stored. */
    private void recover(String abandoned) {
      history.find(channel, key).onComplete(found -> {
        if (found.failed()) {
          unavailable(found.cause());
          return;
        }
        Position p = found.result();
        if (p != null) {
          Published first = new Published(channel, p.offset(), p.epoch());
          workers.executeBlocking(() -> keys.replace(mapKey, abandoned, record(first)), false).onComplete(r -> repeat(first));
          return;
        }
        String pending = PENDING + member + " " + System.currentTimeMillis();
        workers.executeBlocking(() -> keys.replace(mapKey, abandoned, pending), false).onComplete(r -> {
          if (r.failed()) {
            unavailable(r.cause());
          } else if (r.result()) {
            own(pending);
          } else {
            claim(); // another repeat got there first: look again
          }
        });
      });
    }

    private void own(String pending) {
      publish.get().onComplete(ar -> {
        if (ar.succeeded()) {
          Published p = ar.result();
          Future.fromCompletionStage(keys.setAsync(mapKey, record(p)), ctx).onComplete(set -> {
            if (set.failed()) {
              // the ring's tag still answers a repeat once this claim is abandoned
              LOG.warn("idempotency key of {} not recorded: {}", channel, set.cause().toString());
            }
            answer.complete(p);
          });
        } else {
          workers.executeBlocking(() -> keys.remove(mapKey, pending), false).onComplete(r -> answer.fail(ar.cause()));
        }
      });
    }

    private void repeat(Published first) {
      metrics.idempotentRepeat();
      answer.complete(first);
    }

    private Published done(String value) {
      String[] parts = value.split(" ", 3);
      return new Published(channel, Long.parseLong(parts[1]), parts.length > 2 ? parts[2] : "");
    }

    private void unavailable(Throwable cause) {
      LOG.warn("idempotency keys unavailable: {}", cause.toString());
      answer.fail(new PulseException(ErrorCode.UNAVAILABLE, "idempotency keys unavailable, try again"));
    }
  }

  private static String record(Published p) {
    return DONE + p.offset() + " " + p.epoch();
  }

  /** A claim whose member has left the cluster, or that is older than {@link #ABANDONED_MILLIS}. */
  private boolean abandoned(String pending) {
    String[] parts = pending.split(" ");
    if (parts.length != 3 || System.currentTimeMillis() - Long.parseLong(parts[2]) > ABANDONED_MILLIS) {
      return true;
    }
    for (Member m : hz.getCluster().getMembers()) {
      if (m.getUuid().toString().equals(parts[1])) {
        return false;
      }
    }
    return true;
  }
}
