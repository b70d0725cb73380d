package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.SharedFrame;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.history.MemoryHistory;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Retention;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.Dashboards;
import dev.apexpulse.support.NpmFossil;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sequencer of a channel that allows deltas gives a message a delta frame exactly when it hands it on
 * right after its predecessor: not the first, not after a skipped gap or a new epoch, never on a channel
 * without deltas.
 */
@Timeout(30)
class DeltaHandOnTest {
  private static final WireFormat TEXT = new WireFormat() {
    @Override
    public int slot() {
      return 0;
    }

    @Override
    public ByteBuf message(Message m) {
      return text(m.data());
    }

    @Override
    public ByteBuf text(String json) {
      return Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8));
    }
  };

  private final ChannelKey key = new ChannelKey("100", "dashboard/1");
  private final List<Message> delivered = new CopyOnWriteArrayList<>();
  private final Random random = new Random(11);
  private JsonObject dashboard = Dashboards.dashboard(random);
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private LocalHub hub(MemoryHistory history, boolean deltas) throws Exception {
    LocalHub hub = new LocalHub(vertx, history, new PulseMetrics(), 1, 50, k -> deltas);
    hub.bridge(new LocalBridge(hub));
    Context context = vertx.getOrCreateContext();
    Shard shard = hub.newShard(context);
    Subscriber recorder = new Subscriber() {
      @Override
      public boolean deliver(Message message) {
        delivered.add(message);
        return true;
      }

      @Override
      public void deliverEvent(SharedFrame frame) {}
    };
    Future.<Void>future(p -> context.runOnContext(v -> hub.subscribe(shard, key, recorder).onComplete(p))).await(5, TimeUnit.SECONDS);
    hub.baseline(key, history.position(key).await(5, TimeUnit.SECONDS));
    return hub;
  }

  private Message next(MemoryHistory history) throws Exception {
    dashboard = Dashboards.oneNumberChanged(dashboard, random);
    return history.append(key, dashboard.encode(), null).await(5, TimeUnit.SECONDS);
  }

  private void awaitDelivered(int n) {
    Await.until(n + " delivered", 5000, () -> delivered.size() >= n);
  }

  private static String delta(Message m) {
    ByteBuf frame = m.deltaFrame(TEXT);
    return frame == null ? null : new JsonObject(frame.toString(StandardCharsets.UTF_8)).getString("delta");
  }

  @Test
  void eachMessageAfterTheFirstIsADeltaAgainstTheOneBeforeIt() throws Exception {
    MemoryHistory history = new MemoryHistory(k -> new Retention(100, 600), System::currentTimeMillis);
    LocalHub hub = hub(history, true);
    for (int i = 0; i < 4; i++) {
      hub.deliver(next(history));
    }
    awaitDelivered(4);
    assertThat(delta(delivered.get(0))).isNull();
    List<NpmFossil.Case> cases = new java.util.ArrayList<>();
    for (int i = 1; i < 4; i++) {
      String d = delta(delivered.get(i));
      assertThat(d).isNotNull();
      JsonObject frame = new JsonObject(delivered.get(i).deltaFrame(TEXT).toString(StandardCharsets.UTF_8));
      assertThat(frame.getLong("offset")).isEqualTo(delivered.get(i).offset());
      assertThat(frame.containsKey("data")).isFalse();
      cases.add(NpmFossil.Case.of("offset " + (i + 1), delivered.get(i - 1).data(), d, delivered.get(i).data()));
    }
    assertThat(NpmFossil.failures(cases)).isEmpty();
  }

  @Test
  void theMessageAfterASkippedGapHasNoDelta() throws Exception {
    MemoryHistory tiny = new MemoryHistory(k -> new Retention(1, 600), System::currentTimeMillis);
    LocalHub hub = hub(tiny, true);
    hub.deliver(next(tiny));
    awaitDelivered(1);
    next(tiny); // offset 2: never broadcast, and gone from a one-message history once 3 is stored
    Message third = next(tiny);
    hub.deliver(third);
    Message fourth = next(tiny);
    hub.deliver(fourth);
    awaitDelivered(3);
    assertThat(delivered).extracting(Message::offset).containsExactly(1L, 3L, 4L);
    assertThat(delta(third)).isNull();
    assertThat(delta(fourth)).isNotNull();
  }

  @Test
  void aNewEpochStartsWithoutDelta() throws Exception {
    MemoryHistory history = new MemoryHistory(k -> new Retention(100, 600), System::currentTimeMillis);
    LocalHub hub = hub(history, true);
    hub.baseline(key, new Position(0, "old"));
    String data = dashboard.encode();
    hub.deliver(new Message(key, 1, "old", data, null, 0));
    Message restarted = new Message(key, 2, "new", data, null, 0); // consecutive offset, other history
    hub.deliver(restarted);
    awaitDelivered(2);
    assertThat(delta(restarted)).isNull();
  }

  @Test
  void aChannelWithoutDeltasGivesNone() throws Exception {
    MemoryHistory history = new MemoryHistory(k -> new Retention(100, 600), System::currentTimeMillis);
    LocalHub hub = hub(history, false);
    hub.deliver(next(history));
    hub.deliver(next(history));
    awaitDelivered(2);
    assertThat(delta(delivered.get(1))).isNull();
  }
}
