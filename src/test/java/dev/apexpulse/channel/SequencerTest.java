package dev.apexpulse.channel;

import dev.apexpulse.history.Retention;
import dev.apexpulse.core.SharedFrame;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.MemoryHistory;
import dev.apexpulse.history.Position;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The hub's per-channel sequencer: out-of-order arrivals are delivered in offset order, gaps filled from history. */
@Timeout(30)
class SequencerTest {
  Vertx vertx;
  MemoryHistory history;
  LocalHub hub;
  Shard shard;
  final List<Long> delivered = new CopyOnWriteArrayList<>();
  final ChannelKey key = new ChannelKey("100", "seq/1");

  final Subscriber recorder = new Subscriber() {
    @Override
    public boolean deliver(Message message) {
      delivered.add(message.offset());
      return true;
    }

    @Override
    public void deliverEvent(SharedFrame frame) {}
  };

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    history = new MemoryHistory(k -> new Retention(100, 600), System::currentTimeMillis);
    hub = new LocalHub(vertx, history, new PulseMetrics(), 1, 50);
    hub.bridge(new LocalBridge(hub));
    Context context = vertx.getOrCreateContext();
    shard = hub.newShard(context);
    Future.<Void>future(p -> context.runOnContext(v -> hub.subscribe(shard, key, recorder).onComplete(p)))
        .await(5, TimeUnit.SECONDS);
    hub.baseline(key, new Position(0, history.position(key).await().epoch()));
  }

  @AfterEach
  void stop() {
    vertx.close();
  }

  private Message stored() throws Exception {
    return history.append(key, "1", null).await(5, TimeUnit.SECONDS);
  }

  private void awaitDelivered(int n) throws InterruptedException {
    long end = System.currentTimeMillis() + 5000;
    while (delivered.size() < n && System.currentTimeMillis() < end) {
      Thread.sleep(5);
    }
  }

  @Test
  void outOfOrderArrivalsAreDeliveredInOrder() throws Exception {
    Message m1 = stored();
    Message m2 = stored();
    Message m3 = stored();
    hub.deliver(m3);
    hub.deliver(m1);
    hub.deliver(m1); // duplicate
    hub.deliver(m2);
    awaitDelivered(3);
    Thread.sleep(100);
    assertThat(delivered).containsExactly(1L, 2L, 3L);
  }

  @Test
  void aSubscriberThatThrowsDoesNotCostTheOthersTheMessage() throws Exception {
    Subscriber broken = new Subscriber() {
      @Override
      public boolean deliver(Message message) {
        throw new IllegalStateException("WebSocket is closed");
      }

      @Override
      public void deliverEvent(SharedFrame frame) {
        throw new IllegalStateException("WebSocket is closed");
      }
    };
    Subscriber after = new Subscriber() {
      @Override
      public boolean deliver(Message message) {
        delivered.add(-message.offset());
        return true;
      }

      @Override
      public void deliverEvent(SharedFrame frame) {}
    };
    Future.<Void>future(p -> shard.context().runOnContext(v -> hub.subscribe(shard, key, broken)
        .compose(x -> hub.subscribe(shard, key, after)).onComplete(p))).await(5, TimeUnit.SECONDS);
    hub.deliver(stored());
    awaitDelivered(2);
    assertThat(delivered).containsExactly(1L, -1L);
  }

  @Test
  void aMessageThatNeverArrivesIsFilledFromHistory() throws Exception {
    stored(); // offset 1: stored, but its publisher "died" before broadcasting it
    Message m2 = stored();
    hub.deliver(m2);
    awaitDelivered(2);
    assertThat(delivered).containsExactly(1L, 2L);
  }

  @Test
  void aGapHistoryNoLongerHasIsSkippedNotWaitedForever() throws Exception {
    MemoryHistory tiny = new MemoryHistory(k -> new Retention(1, 600), System::currentTimeMillis);
    LocalHub small = new LocalHub(vertx, tiny, new PulseMetrics(), 1, 50);
    small.bridge(new LocalBridge(small));
    Context context = vertx.getOrCreateContext();
    Shard s = small.newShard(context);
    Future.<Void>future(p -> context.runOnContext(v -> small.subscribe(s, key, recorder).onComplete(p))).await(5, TimeUnit.SECONDS);
    small.baseline(key, tiny.position(key).await());
    tiny.append(key, "1", null).await();
    tiny.append(key, "2", null).await();
    Message m3 = tiny.append(key, "3", null).await();
    small.deliver(m3); // 1 and 2 are gone from a 1-message history
    awaitDelivered(1);
    assertThat(delivered).containsExactly(3L);
  }

  @Test
  void anEpochChangeLeavesNoOldGapTimerToCutTheNextWaitShort() throws Exception {
    LocalHub slow = new LocalHub(vertx, history, new PulseMetrics(), 1, 2000);
    slow.bridge(new LocalBridge(slow));
    Context context = vertx.getOrCreateContext();
    Shard s = slow.newShard(context);
    Future.<Void>future(p -> context.runOnContext(v -> slow.subscribe(s, key, recorder).onComplete(p))).await(5, TimeUnit.SECONDS);
    slow.baseline(key, new Position(0, "old"));
    long now = System.currentTimeMillis();
    slow.deliver(new Message(key, 2, "old", "1", null, now)); // waits for 1: a gap timer due in 2 s
    Thread.sleep(1000);
    slow.deliver(new Message(key, 1, "new", "1", null, now)); // history restarted: follow the new epoch
    slow.deliver(new Message(key, 3, "new", "1", null, now)); // 2 is late: a full 2 s wait starts now
    Thread.sleep(1600); // past the old epoch's timer, well before the new wait ends
    slow.deliver(new Message(key, 2, "new", "1", null, now));
    awaitDelivered(3);
    Thread.sleep(100);
    assertThat(delivered).containsExactly(1L, 2L, 3L);
  }
}
