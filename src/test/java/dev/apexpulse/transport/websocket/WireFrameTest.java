package dev.apexpulse.channel;

import dev.apexpulse.transport.websocket.WireFrame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Pre-encoded frames decode, with a client's decoder, to exactly the payload, at every length encoding. */
class WireFrameTest {

  private static WebSocketFrame decode(ByteBuf frame) {
    // a client expects unmasked frames from the server
    EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
    client.writeInbound(frame.duplicate());
    WebSocketFrame decoded = client.readInbound();
    assertThat(client.<Object>readInbound()).as("one frame, nothing left over").isNull();
    client.finishAndReleaseAll();
    return decoded;
  }

  private static byte[] payload(int length) {
    byte[] p = new byte[length];
    Arrays.fill(p, (byte) 'x');
    if (length > 0) {
      p[length - 1] = 'y';
    }
    return p;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 125, 126, 127, 65_535, 65_536, 300_000})
  void textFramesCarryThePayloadAtEveryLengthEncoding(int length) {
    byte[] p = payload(length);
    ByteBuf frame = WireFrame.text(p);
    assertThat(frame.isDirect()).isTrue();
    WebSocketFrame decoded = decode(frame);
    assertThat(decoded).isInstanceOf(TextWebSocketFrame.class);
    assertThat(decoded.isFinalFragment()).isTrue();
    assertThat(decoded.rsv()).isZero();
    assertThat(ByteBufUtil.getBytes(decoded.content())).isEqualTo(p);
    assertThat(ByteBufUtil.getBytes(WireFrame.payload(frame))).isEqualTo(p);
    decoded.release();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 200, 70_000})
  void binaryFramesToo(int length) {
    byte[] p = payload(length);
    WebSocketFrame decoded = decode(WireFrame.binary(p));
    assertThat(decoded).isInstanceOf(BinaryWebSocketFrame.class);
    assertThat(ByteBufUtil.getBytes(decoded.content())).isEqualTo(p);
    decoded.release();
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 1000})
  void releasingWritersCannotFreeTheSharedFrame(int length) {
    ByteBuf frame = WireFrame.text(payload(length));
    for (int i = 0; i < 3; i++) {
      // what Netty does with each socket's copy once written
      ByteBuf view = frame.duplicate();
      view.skipBytes(view.readableBytes());
      view.release();
    }
    assertThat(frame.refCnt()).isPositive();
    assertThat(frame.readableBytes()).isGreaterThan(length);
    assertThat(ByteBufUtil.getBytes(decode(frame).content())).isEqualTo(payload(length));
  }
}
