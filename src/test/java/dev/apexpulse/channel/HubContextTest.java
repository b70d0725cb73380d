package dev.apexpulse.channel;

import dev.apexpulse.history.Retention;
import dev.apexpulse.core.SharedFrame;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.MemoryHistory;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subscription's "the channel is open" callback runs on the subscriber's own event loop, even when
 * another event loop opened the channel and a clustered bridge completes the opening there. (It ran
 * on the opener's loop: the subscriber's connection then went live on a foreign thread, racing with
 * its own fan-out, and a client recovering with since got a live message before its replay.)
 */
class HubContextTest {
  final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));

  @AfterEach
  void close() {
    vertx.close();
  }

  static final Subscriber NOBODY = new Subscriber() {
    @Override
    public boolean deliver(Message m) {
      return false;
    }

    @Override
    public void deliverEvent(SharedFrame frame) {}
  };

  @Test
  void subscribeCompletesOnTheSubscribersEventLoop() throws Exception {
    ContextInternal x = ((VertxInternal) vertx).createEventLoopContext();
    ContextInternal y = ((VertxInternal) vertx).createEventLoopContext();
    assertThat(x.nettyEventLoop()).isNotSameAs(y.nettyEventLoop());
    LocalHub hub = new LocalHub(vertx, new MemoryHistory(k -> new Retention(10, 60), System::currentTimeMillis), new PulseMetrics(), 2, 100);
    hub.bridge(new Bridge() {
      @Override
      public Future<Void> open(ChannelKey key) {
        // like the event-bus bridge: completed later, on the context that opened the channel
        PromiseInternal<Void> opened = ((ContextInternal) Vertx.currentContext()).promise();
        vertx.setTimer(100, t -> opened.complete());
        return opened.future();
      }

      @Override
      public void close(ChannelKey key) {}

      @Override
      public Future<Void> publish(Message message) {
        return Future.succeededFuture();
      }

      @Override
      public void publishEvent(ChannelKey key, String frame) {}
    });
    Shard onX = hub.newShard(x);
    Shard onY = hub.newShard(y);
    ChannelKey key = new ChannelKey("100", "a");

    CompletableFuture<Context> opener = new CompletableFuture<>();
    CompletableFuture<Context> whileOpening = new CompletableFuture<>();
    CompletableFuture<Context> onceOpen = new CompletableFuture<>();
    y.runOnContext(v -> hub.subscribe(onY, key, NOBODY).onComplete(ar -> opener.complete(Vertx.currentContext())));
    x.runOnContext(v -> hub.subscribe(onX, key, NOBODY).onComplete(ar -> whileOpening.complete(Vertx.currentContext())));
    assertThat(opener.get(5, TimeUnit.SECONDS)).isSameAs(y);
    assertThat(whileOpening.get(5, TimeUnit.SECONDS)).isSameAs(x);
    x.runOnContext(v -> hub.subscribe(onX, key, NOBODY).onComplete(ar -> onceOpen.complete(Vertx.currentContext())));
    assertThat(onceOpen.get(5, TimeUnit.SECONDS)).isSameAs(x);
  }
}
