package dev.apexpulse.cluster;

import dev.apexpulse.history.Retention;
import dev.apexpulse.core.SharedFrame;

import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.channel.Subscriber;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.MemoryHistory;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Context;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Replay;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bridge on a real (local) event bus: after a membership change a channel catches up with history
 * from what its sequencer delivered, so the last message of a burst that missed this node still arrives.
 */
@Timeout(30)
class EventBusBridgeTest {
  Vertx vertx;
  MemoryHistory history;
  LocalHub hub;
  EventBusBridge bridge;
  final ChannelKey key = new ChannelKey("100", "bridge/1");
  final List<Long> delivered = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    history = new MemoryHistory(k -> new Retention(100, 600), System::currentTimeMillis);
    hub = new LocalHub(vertx, history, new PulseMetrics(), 1, 100);
    bridge = new EventBusBridge(vertx, hub, history, 1000);
    hub.bridge(bridge);
    Context context = vertx.getOrCreateContext();
    Shard shard = hub.newShard(context);
    Subscriber recorder = new Subscriber() {
      @Override
      public boolean deliver(Message m) {
        delivered.add(m.offset());
        return true;
      }

      @Override
      public void deliverEvent(SharedFrame frame) {}
    };
    Future.<Void>future(p -> context.runOnContext(v -> hub.subscribe(shard, key, recorder).onComplete(p)))
        .await(5, TimeUnit.SECONDS);
    hub.baseline(key, history.position(key).await(5, TimeUnit.SECONDS));
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private void awaitDelivered(int n, long millis) throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    while (delivered.size() < n && System.currentTimeMillis() < end) {
      Thread.sleep(10);
    }
  }

  @Test
  void aMembershipChangeRecoversTheTailOfABurstThatMissedThisNode() throws Exception {
    for (int i = 0; i < 3; i++) {
      bridge.publish(history.append(key, "{\"i\":" + i + "}", null).await(5, TimeUnit.SECONDS));
    }
    // stored, but the event bus never brought them here (their publisher's connection died): no later
    // message shows the gap, and the bridge's catch-up after opening is long over
    Thread.sleep(2600);
    history.append(key, "{\"i\":3}", null).await(5, TimeUnit.SECONDS);
    history.append(key, "{\"i\":4}", null).await(5, TimeUnit.SECONDS);
    awaitDelivered(3, 2000);
    Thread.sleep(500);
    assertThat(delivered).containsExactly(1L, 2L, 3L);

    bridge.recheck(); // a member joined or left
    awaitDelivered(5, 5000);
    assertThat(delivered).containsExactly(1L, 2L, 3L, 4L, 5L);
  }

  /** Issue 15, item 6: 2,000 channels after a membership change are re-read a few at a time, each once per round at most. */
  @Test
  @Timeout(60)
  void aMembershipChangeRereadsManyChannelsAFewAtATime() throws Exception {
    int channels = 2000;
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger mostInFlight = new AtomicInteger();
    History slow = new History() {
      @Override
      public Future<Message> append(ChannelKey k, String data, byte[] bytes, String from) {
        return history.append(k, data, bytes, from);
      }

      @Override
      public Future<Position> position(ChannelKey k) {
        return history.position(k);
      }

      @Override
      public Future<Replay> since(ChannelKey k, long offset, String epoch, int limit) {
        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        Promise<Replay> p = Promise.promise();
        // a read that takes a while, as a Hazelcast one under load
        vertx.setTimer(3, t -> history.since(k, offset, epoch, limit).onComplete(ar -> {
          inFlight.decrementAndGet();
          p.handle(ar);
        }));
        return p.future();
      }

      @Override
      public Future<Replay> recent(ChannelKey k, int limit) {
        return history.recent(k, limit);
      }
    };
    LocalHub many = new LocalHub(vertx, slow, new PulseMetrics(), 1, 100);
    EventBusBridge paced = new EventBusBridge(vertx, many, slow, 1000, 4, 2000);
    many.bridge(paced);
    Context context = vertx.getOrCreateContext();
    Shard shard = many.newShard(context);
    Subscriber none = new Subscriber() {
      @Override
      public boolean deliver(Message m) {
        return true;
      }

      @Override
      public void deliverEvent(SharedFrame frame) {}
    };
    for (int i = 0; i < channels; i++) {
      ChannelKey k = new ChannelKey("100", "many/" + i);
      Future.<Void>future(p -> context.runOnContext(v -> many.subscribe(shard, k, none).onComplete(p))).await(5, TimeUnit.SECONDS);
      many.baseline(k, history.position(k).await(5, TimeUnit.SECONDS));
    }
    // the catch-up after opening: two rounds; a read made after the second round was due counts for both
    awaitIdle(paced);
    long afterOpening = paced.catchUpReads();
    assertThat(afterOpening).isBetween((long) channels, 2L * channels);

    paced.recheck(); // a member joined or left: three rounds at 0.5, 2 and 5 s
    awaitIdle(paced);
    long rechecks = paced.catchUpReads() - afterOpening;
    // every channel read once after the change; again only if its first read came before a later round
    assertThat(rechecks).isBetween((long) channels, 3L * channels);
    assertThat(mostInFlight.get()).as("reads in flight at once").isLessThanOrEqualTo(4);
    System.out.printf("%n  %d channels: %d reads after a membership change (at most %d at once)%n", channels, rechecks, mostInFlight.get());
  }

  private static void awaitIdle(EventBusBridge b) {
    dev.apexpulse.support.Await.until("catch-up done", 40_000, b::catchUpIdle);
  }
}
