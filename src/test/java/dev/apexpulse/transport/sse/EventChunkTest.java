package dev.apexpulse.transport.sse;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Events as HTTP chunks: the data lines, the chunk framing, and the event inside a chunk. */
class EventChunkTest {

  private static String text(ByteBuf b) {
    return b.toString(b.readerIndex(), b.readableBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void oneLineOfJsonIsOneDataField() {
    assertThat(text(EventChunk.shared("{\"a\":1}"))).isEqualTo("f\r\ndata: {\"a\":1}\n\n\r\n");
  }

  @Test
  void lineBreaksOfAnyKindStartANewDataField() {
    assertThat(new String(EventChunk.event("{\n\"a\":\r\n1\r}".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
        .isEqualTo("data: {\ndata: \"a\":\ndata: 1\ndata: }\n\n");
  }

  @Test
  void theSizeIsInBytesOfUtf8() {
    String json = "{\"t\":\"é€\"}";
    ByteBuf chunk = EventChunk.shared(json);
    int body = ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8).length;
    assertThat(text(chunk)).startsWith(Integer.toHexString(body) + "\r\n");
    assertThat(chunk.readableBytes()).isEqualTo(Integer.toHexString(body).length() + 2 + body + 2);
  }

  @Test
  void theEventInsideAChunkIsAViewWithoutTheFraming() {
    ByteBuf chunk = EventChunk.shared("{\"x\":\"" + "y".repeat(300) + "\"}");
    ByteBuf event = EventChunk.event(chunk);
    assertThat(text(event)).isEqualTo("data: {\"x\":\"" + "y".repeat(300) + "\"}\n\n");
    assertThat(chunk.readerIndex()).isZero();
  }

  @Test
  void heartbeatsAreComments() {
    assertThat(text(EventChunk.heartbeat(false))).startsWith(":").endsWith("\n\n");
    assertThat(text(EventChunk.heartbeat(true))).isEqualTo("d\r\n: heartbeat\n\n\r\n");
  }
}
