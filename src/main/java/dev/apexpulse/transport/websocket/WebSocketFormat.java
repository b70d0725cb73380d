package dev.apexpulse.transport.websocket;

import dev.apexpulse.core.Message;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.protocol.BinaryFrames;
import dev.apexpulse.protocol.MessageJson;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/** Complete RFC 6455 frames: a text frame of the JSON for JSON messages, a binary frame for binary ones. */
public final class WebSocketFormat implements WireFormat {
  public static final WebSocketFormat INSTANCE = new WebSocketFormat();

  private WebSocketFormat() {}

  @Override
  public int slot() {
    return 0;
  }

  @Override
  public ByteBuf message(Message m) {
    return m.binary() ? WireFrame.binary(BinaryFrames.encode(m)) : text(MessageJson.encode(m));
  }

  @Override
  public ByteBuf text(String json) {
    return WireFrame.text(json.getBytes(StandardCharsets.UTF_8));
  }
}
