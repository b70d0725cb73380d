package dev.apexpulse.history;

import dev.apexpulse.core.ChannelKey;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Channels without messages cost no memory, and forgetting a channel still changes its epoch. */
class MemoryHistoryTest {
  final AtomicLong clock = new AtomicLong(1_000_000);
  final MemoryHistory history = new MemoryHistory(k -> new Retention(10, 60), clock::get);

  static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.await(5, TimeUnit.SECONDS);
  }

  @Test
  void eachChannelKeepsWhatItsRetentionSays() throws Exception {
    MemoryHistory mixed = new MemoryHistory(k -> k.channel().startsWith("chat/") ? new Retention(3, 3600) : new Retention(10, 5),
        clock::get);
    ChannelKey chat = new ChannelKey("100", "chat/room");
    ChannelKey tick = new ChannelKey("100", "tick");
    for (int i = 1; i <= 12; i++) {
      await(mixed.append(chat, Integer.toString(i), null));
      await(mixed.append(tick, Integer.toString(i), null));
    }
    assertThat(await(mixed.recent(chat, 100)).messages()).extracting(m -> m.data()).containsExactly("10", "11", "12");
    assertThat(await(mixed.recent(tick, 100)).messages()).hasSize(10);
    clock.addAndGet(6_000); // past tick's 5 s, well within chat's hour
    assertThat(await(mixed.recent(tick, 100)).messages()).isEmpty();
    assertThat(await(mixed.recent(chat, 100)).messages()).hasSize(3);
    // forgotten after twice its own age when idle: tick goes, chat stays
    clock.addAndGet(10_000);
    mixed.sweep(k -> false);
    assertThat(mixed.channelCount()).isEqualTo(1);
  }

  @Test
  void readingChannelsWithoutMessagesKeepsNothing() throws Exception {
    for (int i = 0; i < 100_000; i++) {
      ChannelKey key = new ChannelKey("100", "storm/" + i);
      Position p = await(history.position(key));
      assertThat(p.offset()).isZero();
      await(history.since(key, 0, p.epoch(), 100));
      await(history.recent(key, 100));
    }
    assertThat(history.channelCount()).isZero();
  }

  @Test
  void anEmptyChannelKeepsItsEpochUntilItsFirstMessage() throws Exception {
    ChannelKey key = new ChannelKey("100", "idle/user");
    Position empty = await(history.position(key));
    assertThat(await(history.position(key))).isEqualTo(empty);
    Replay nothingMissed = await(history.since(key, 0, empty.epoch(), 100));
    assertThat(nothingMissed.recovered()).isTrue();
    assertThat(await(history.since(key, 3, empty.epoch(), 100)).recovered()).isFalse();
    assertThat(await(history.since(key, 0, "other", 100)).recovered()).isFalse();

    assertThat(await(history.append(key, "1", null)).epoch()).isEqualTo(empty.epoch());
    Replay missedOne = await(history.since(key, 0, empty.epoch(), 100));
    assertThat(missedOne.recovered()).isTrue();
    assertThat(missedOne.messages()).extracting(m -> m.offset()).containsExactly(1L);
  }

  @Test
  void aForgottenChannelComesBackInAnotherEpoch() throws Exception {
    ChannelKey key = new ChannelKey("100", "news");
    Position before = await(history.position(key));
    await(history.append(key, "1", null));
    await(history.append(key, "2", null));
    clock.addAndGet(3 * 60_000); // messages expired, idle for twice the ttl
    history.sweep(k -> false);
    assertThat(history.channelCount()).isZero();

    Position after = await(history.position(key));
    assertThat(after.offset()).isZero();
    assertThat(after.epoch()).isNotEqualTo(before.epoch());
    // a client that subscribed before the two messages, or saw them, must reload
    assertThat(await(history.since(key, 0, before.epoch(), 100)).recovered()).isFalse();
    assertThat(await(history.since(key, 2, before.epoch(), 100)).recovered()).isFalse();
    assertThat(await(history.append(key, "3", null)).epoch()).isEqualTo(after.epoch());
  }

  @Test
  void aChannelInUseIsNotForgotten() throws Exception {
    ChannelKey key = new ChannelKey("100", "kept");
    Position p = await(history.append(key, "1", null)).epoch() == null ? null : await(history.position(key));
    clock.addAndGet(3 * 60_000);
    history.sweep(k -> true);
    assertThat(await(history.position(key))).isEqualTo(p);
  }
}
