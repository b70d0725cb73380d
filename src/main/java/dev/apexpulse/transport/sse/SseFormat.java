package dev.apexpulse.transport.sse;

import dev.apexpulse.core.Message;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.protocol.MessageJson;
import io.netty.buffer.ByteBuf;

/**
 * Server-Sent Events: every frame is a text event, so binary messages travel as JSON with their payload in
 * base64 and {@code "binary":true} (as in history).
 */
public final class SseFormat implements WireFormat {
  public static final SseFormat INSTANCE = new SseFormat();

  private SseFormat() {}

  @Override
  public int slot() {
    return 1;
  }

  @Override
  public ByteBuf message(Message m) {
    return EventChunk.shared(MessageJson.encodeAsText(m));
  }

  @Override
  public ByteBuf text(String json) {
    return EventChunk.shared(json);
  }
}
