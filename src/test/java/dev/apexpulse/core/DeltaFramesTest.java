package dev.apexpulse.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A message's delta frame: computed once per node however many event loops and formats ask, then shared. */
@Timeout(30)
class DeltaFramesTest {
  private static final ChannelKey KEY = new ChannelKey("100", "dashboard/1");

  /** A wire format that wraps text as it is. */
  private record Plain(int slot) implements WireFormat {
    @Override
    public ByteBuf message(Message message) {
      return text(message.data());
    }

    @Override
    public ByteBuf text(String json) {
      return Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aMessageWithoutAPredecessorHasNoDeltaFrame() {
    assertThat(new Message(KEY, 1, "e", "{}", null, 0).deltaFrame(new Plain(0))).isNull();
  }

  @Test
  void theDeltaIsComputedOnceWhenEventLoopsAndFormatsAskForItTogether() throws Exception {
    Message m = new Message(KEY, 2, "e", "{\"n\":2}", null, 0);
    AtomicInteger computed = new AtomicInteger();
    m.deltaFrom(() -> {
      computed.incrementAndGet();
      return "{\"type\":\"message\",\"delta\":\"…\"}";
    });
    List<WireFormat> formats = List.of(new Plain(0), new Plain(1));
    ExecutorService loops = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<ByteBuf>> asked = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        WireFormat format = formats.get(i % 2);
        asked.add(loops.submit(() -> {
          go.await();
          return m.deltaFrame(format);
        }));
      }
      go.countDown();
      for (Future<ByteBuf> f : asked) {
        assertThat(f.get(10, TimeUnit.SECONDS).toString(StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"message\",\"delta\":\"…\"}");
      }
    } finally {
      loops.shutdownNow();
    }
    assertThat(computed).hasValue(1);
    assertThat(m.deltaFrame(formats.get(0))).isSameAs(m.deltaFrame(formats.get(0)));
  }

  @Test
  void aDeltaNotWorthSendingIsAskedForOnce() {
    Message m = new Message(KEY, 2, "e", "1", null, 0);
    AtomicInteger computed = new AtomicInteger();
    m.deltaFrom(() -> {
      computed.incrementAndGet();
      return null;
    });
    for (int i = 0; i < 3; i++) {
      assertThat(m.deltaFrame(new Plain(0))).isNull();
    }
    assertThat(computed).hasValue(1);
  }
}
