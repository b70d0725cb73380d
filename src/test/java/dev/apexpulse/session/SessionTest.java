package dev.apexpulse.session;

import dev.apexpulse.auth.TokenVerifier;
import dev.apexpulse.channel.LocalBridge;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.MemoryIdempotency;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.WireFormat;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.history.MemoryHistory;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.presence.LocalPresence;
import dev.apexpulse.protocol.BinaryFrames;
import dev.apexpulse.protocol.MessageJson;
import dev.apexpulse.schedule.JobTrigger;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protocol state machine without a socket: a {@link Session} on an in-memory {@link Transport},
 * with the node's real parts behind it (hub, history, presence, publisher, token verifier). What the
 * session writes is all there is to see, which is the point of the transport seam.
 */
class SessionTest {
  private Vertx vertx;
  private Context loop;
  private Services services;
  private Shard shard;
  private final Jwt jwt = new Jwt(TestNode.APP, TestNode.SECRET);

  @BeforeEach
  void node() throws Exception {
    vertx = Vertx.vertx();
    PulseConfig config = PulseConfig.from(TestNode.config());
    PulseMetrics metrics = new PulseMetrics();
    MemoryHistory history = new MemoryHistory(Engines.retention(config), System::currentTimeMillis);
    LocalHub hub = new LocalHub(vertx, history, metrics, 1, 100);
    LocalBridge bridge = new LocalBridge(hub);
    hub.bridge(bridge);
    services = new Services(vertx, config, metrics, new TokenVerifier(vertx, config), new Publisher(config, history, bridge,
        new MemoryIdempotency(vertx, 300_000, 1000, System::currentTimeMillis, metrics), metrics),
        hub, history, new LocalPresence(), bridge, new JobTrigger(vertx, List.of()));
    loop = vertx.getOrCreateContext();
    shard = on(() -> hub.newShard(loop));
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void authenticatesSubscribesAndDeliversThroughTheTransportWithItsFormat() throws Exception {
    Recording transport = new Recording();
    Session session = on(() -> {
      Session s = new Session("c-test-1", transport, shard, services, null);
      s.start(null, null);
      return s;
    });
    text(session, new JsonObject().put("type", "auth").put("id", 1).put("token", token("scott")));
    assertThat(transport.next("welcome").getLong("id")).isEqualTo(1L);
    text(session, new JsonObject().put("type", "subscribe").put("id", 2).put("channel", "room/1"));
    assertThat(transport.next("subscribed").getString("channel")).isEqualTo("room/1");

    services.publisher().publish(TestNode.APP, "room/1", new JsonObject().put("n", 1), null).await(5, TimeUnit.SECONDS);
    JsonObject message = transport.nextShared("message");
    assertThat(message.getJsonObject("data")).isEqualTo(new JsonObject().put("n", 1));
    assertThat(message.getLong("offset")).isEqualTo(1L);

    text(session, new JsonObject().put("type", "publish").put("id", 3).put("channel", "room/1").put("data", "hi"));
    assertThat(transport.next("ack").getLong("offset")).isEqualTo(2L);
    assertThat(transport.nextShared("message").getString("from")).isEqualTo("scott");
    assertThat(session.info().transport()).isEqualTo("recording");
    assertThat(session.info().channels()).isEqualTo(1);
  }

  @Test
  void aBadTokenIsRefusedAndClosedWith1008() throws Exception {
    Recording transport = new Recording();
    on(() -> {
      Session s = new Session("c-test-2", transport, shard, services, null);
      s.start(null, "token expired");
      return s;
    });
    assertThat(transport.next("error").getString("code")).isEqualTo("unauthorized");
    assertThat(transport.closed.get(5, TimeUnit.SECONDS)).isEqualTo((short) 1008);
  }

  @Test
  void aTransportThatStopsTakingFramesClosesTheSessionWith1013() throws Exception {
    Recording transport = new Recording();
    Session session = on(() -> {
      Session s = new Session("c-test-3", transport, shard, services, null);
      s.start(null, null);
      return s;
    });
    text(session, new JsonObject().put("type", "auth").put("token", token("slow")));
    transport.next("welcome");
    text(session, new JsonObject().put("type", "subscribe").put("id", 1).put("channel", "busy"));
    transport.next("subscribed");
    transport.writable = false;
    services.publisher().publish(TestNode.APP, "busy", 1, null).await(5, TimeUnit.SECONDS);
    assertThat(transport.closed.get(5, TimeUnit.SECONDS)).isEqualTo((short) 1013);
    assertThat(services.metrics().slowConsumerCount()).isEqualTo(1.0);
    // released: the channel has no subscriber left on this node
    Await.until("hub empty", 5000, () -> !services.hub().inUse(new ChannelKey(TestNode.APP, "busy")));
  }

  @Test
  void aBinaryPublishIsAnsweredWithItsIdWithoutASocket() throws Exception {
    Recording transport = new Recording();
    Session session = on(() -> {
      Session s = new Session("c-test-4", transport, shard, services, null);
      s.start(null, null);
      return s;
    });
    text(session, new JsonObject().put("type", "auth").put("token", token("bin")));
    transport.next("welcome");
    byte[] frame = BinaryFrames.encode("bin/1", 77, new byte[] {1, 2, 3});
    loop.runOnContext(v -> session.onBinary(Buffer.buffer(frame)));
    JsonObject ack = transport.next("ack");
    assertThat(ack.getLong("id")).isEqualTo(77L);
    assertThat(ack.getLong("offset")).isEqualTo(1L);
  }

  private String token(String user) {
    return jwt.hs256(jwt.claims(user, 3600).put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**")));
  }

  private void text(Session session, JsonObject frame) {
    loop.runOnContext(v -> session.onText(frame.encode()));
  }

  private <T> T on(Supplier<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.runOnContext(v -> result.complete(action.get()));
    return result.get(5, TimeUnit.SECONDS);
  }

  /** A transport that keeps what it is given; its shared frames are the message JSON in heap buffers. */
  static final class Recording implements Transport {
    static final WireFormat FORMAT = new WireFormat() {
      @Override
      public int slot() {
        return 1;
      }

      @Override
      public ByteBuf message(Message m) {
        return text(MessageJson.encodeAsText(m));
      }

      @Override
      public ByteBuf text(String json) {
        return Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
      }
    };
    final List<JsonObject> sent = new CopyOnWriteArrayList<>();
    final List<JsonObject> shared = new CopyOnWriteArrayList<>();
    final CompletableFuture<Short> closed = new CompletableFuture<>();
    volatile boolean writable = true;

    @Override
    public String kind() {
      return "recording";
    }

    @Override
    public WireFormat format() {
      return FORMAT;
    }

    @Override
    public boolean writable() {
      return writable;
    }

    @Override
    public void write(ByteBuf frame) {
      shared.add(new JsonObject(frame.toString(StandardCharsets.UTF_8)));
    }

    @Override
    public void send(String json) {
      sent.add(new JsonObject(json));
    }

    @Override
    public void flush() {}

    @Override
    public void close(short code, String reason) {
      closed.complete(code);
    }

    JsonObject next(String type) {
      return take(sent, type);
    }

    JsonObject nextShared(String type) {
      return take(shared, type);
    }

    private static JsonObject take(List<JsonObject> frames, String type) {
      JsonObject[] found = new JsonObject[1];
      Await.until("a " + type + " frame", 5000, () -> {
        for (JsonObject f : frames) {
          if (type.equals(f.getString("type"))) {
            found[0] = f;
            frames.remove(f);
            return true;
          }
        }
        return false;
      });
      return found[0];
    }
  }
}
