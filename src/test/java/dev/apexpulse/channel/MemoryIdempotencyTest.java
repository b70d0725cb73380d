package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.support.VertxTest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone node's idempotency keys: one run per key and channel in the window, bounded, expiring. */
class MemoryIdempotencyTest extends VertxTest {
  final AtomicLong clock = new AtomicLong(1_000_000);
  final PulseMetrics metrics = new PulseMetrics();
  final ChannelKey channel = new ChannelKey("100", "orders");
  final AtomicInteger runs = new AtomicInteger();

  MemoryIdempotency keys(int maxKeys) {
    return new MemoryIdempotency(vertx, 300_000, maxKeys, clock::get, metrics);
  }

  /** A publish that counts its runs and answers offset = run number. */
  Future<Published> publish() {
    return Future.succeededFuture(new Published(channel, runs.incrementAndGet(), "e"));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(5, TimeUnit.SECONDS);
  }

  @Test
  void aRepeatWithinTheWindowRunsNothingAndAnswersTheFirstResult() throws Exception {
    MemoryIdempotency keys = keys(100);
    assertThat(await(keys.once(channel, "c:a", this::publish)).offset()).isEqualTo(1);
    clock.addAndGet(299_000);
    assertThat(await(keys.once(channel, "c:a", this::publish)).offset()).isEqualTo(1);
    assertThat(runs).hasValue(1);
    assertThat(metrics.idempotentRepeatCount()).isEqualTo(1);
    // another channel, another key: runs
    assertThat(await(keys.once(new ChannelKey("100", "other"), "c:a", this::publish)).offset()).isEqualTo(2);
    assertThat(await(keys.once(channel, "c:b", this::publish)).offset()).isEqualTo(3);
    // the window is over: the key is forgotten, and the map with it
    clock.addAndGet(1_001);
    assertThat(keys.size()).isEqualTo(2);
    clock.addAndGet(300_000);
    assertThat(keys.size()).isZero();
    assertThat(await(keys.once(channel, "c:a", this::publish)).offset()).isEqualTo(4);
  }

  @Test
  void atMostMaxKeysTheOldestGoFirst() throws Exception {
    MemoryIdempotency keys = keys(3);
    for (int i = 0; i < 5; i++) {
      clock.incrementAndGet();
      await(keys.once(channel, "c:" + i, this::publish));
    }
    assertThat(keys.size()).isEqualTo(3);
    assertThat(runs).hasValue(5);
    await(keys.once(channel, "c:4", this::publish));
    assertThat(runs).as("a kept key").hasValue(5);
    await(keys.once(channel, "c:0", this::publish));
    assertThat(runs).as("an evicted key runs again").hasValue(6);
    assertThat(metrics.registry().get("pulse_idempotency_keys_evicted").counter().count()).isEqualTo(3);
  }

  @Test
  void aRepeatDuringTheFirstWaitsForItAndIsAnsweredOnItsOwnContext() throws Exception {
    MemoryIdempotency keys = keys(100);
    Promise<Published> slow = Promise.promise();
    Future<Published> first = keys.once(channel, "c:slow", () -> slow.future());
    Context other = vertx.getOrCreateContext();
    Promise<Boolean> onOther = Promise.promise();
    other.runOnContext(v -> keys.once(channel, "c:slow", this::publish)
        .onComplete(ar -> onOther.complete(ar.succeeded() && ar.result().offset() == 42 && Vertx.currentContext() == other)));
    Thread.sleep(50);
    assertThat(onOther.future().isComplete()).isFalse();
    slow.complete(new Published(channel, 42, "e"));
    assertThat(await(first).offset()).isEqualTo(42);
    assertThat(await(onOther.future())).isTrue();
    assertThat(runs).hasValue(0);
  }

  @Test
  void aFailedPublishLeavesNoKeyARetryRuns() throws Exception {
    MemoryIdempotency keys = keys(100);
    Future<Published> failed = keys.once(channel, "c:f",
        () -> Future.failedFuture(new PulseException(ErrorCode.UNAVAILABLE, "history unavailable")));
    assertThatThrownBy(() -> await(failed)).hasMessageContaining("history unavailable");
    assertThat(await(keys.once(channel, "c:f", this::publish)).offset()).isEqualTo(1);
  }
}
