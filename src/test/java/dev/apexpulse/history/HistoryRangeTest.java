package dev.apexpulse.history;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** History.range, the sequencer's gap fill, on the in-memory history (its default implementation). */
class HistoryRangeTest {

  @Test
  void rangeReturnsExactlyTheGapOrNothing() {
    AtomicLong clock = new AtomicLong(1_000);
    MemoryHistory h = new MemoryHistory(k -> new Retention(5, 60), clock::get);
    ChannelKey k = new ChannelKey("100", "r/1");
    String epoch = h.position(k).result().epoch();
    for (int i = 1; i <= 7; i++) {
      h.append(k, Integer.toString(i), null);
    }
    assertThat(h.range(k, 3, 5, epoch).result()).extracting(Message::offset).containsExactly(4L, 5L);
    assertThat(h.range(k, 6, 7, epoch).result()).extracting(Message::data).containsExactly("7");
    assertThat(h.range(k, 1, 3, epoch).result()).as("offset 2 is no longer kept").isEmpty();
    assertThat(h.range(k, 3, 5, "other").result()).isEmpty();
    assertThat(h.range(k, 7, 8, epoch).result()).as("not published yet").isEmpty();
  }
}
