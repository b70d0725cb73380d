package dev.apexpulse.gateway;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.engine.StandaloneEngines;
import dev.apexpulse.history.History;
import dev.apexpulse.history.Position;
import dev.apexpulse.history.Replay;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.LocalPresence;
import dev.apexpulse.presence.Presence;
import dev.apexpulse.presence.PresenceChange;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Heartbeats, graceful stop (1012) and the server-error close (1011). */
@Timeout(60)
class LifecycleTest {

  @Test
  void silentConnectionIsClosedAfterTwoHeartbeatsWhileAPongingOneStays() throws Exception {
    JsonObject config = TestNode.config();
    config.put("heartbeat", new JsonObject().put("intervalSeconds", 1));
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(config);
         WsClient live = WsClient.open(vertx, node.wsUrl("token=" + node.token("alive")));
         RawWs silent = RawWs.connect(node.port(), "/ws?token=" + node.token("silent"), null)) {
      assertThat(silent.read().text()).contains("welcome");
      long started = System.currentTimeMillis();
      int pings = 0;
      RawWs.Frame f;
      while ((f = silent.read()) != null && f.opcode() != RawWs.CLOSE) {
        if (f.opcode() == RawWs.PING) {
          pings++; // never answered
        }
      }
      long after = System.currentTimeMillis() - started;
      assertThat(pings).isGreaterThanOrEqualTo(1);
      assertThat(f).isNotNull();
      assertThat(f.closeCode()).isEqualTo(1001);
      assertThat(after).isBetween(1500L, 6000L);
      // the Vert.x client answers pings automatically: still open
      assertThat(live.isClosed()).isFalse();
      assertThat(live.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
    } finally {
      vertx.close();
    }
  }

  @Test
  void stopClosesEverySocketWith1012AndTurnsNotReady() {
    Vertx vertx = Vertx.vertx();
    TestNode node = TestNode.start();
    try {
      List<WsClient> clients = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) {
        clients.add(WsClient.open(vertx, node.wsUrl("token=" + node.token("u" + i))));
      }
      Future<Void> stopping = node.node.stop();
      for (WsClient c : clients) {
        assertThat(c.awaitClose()).isEqualTo((short) 1012);
        c.close();
      }
      stopping.await(20, TimeUnit.SECONDS);
      assertThat(node.node.ready()).isFalse();
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      vertx.close();
    }
  }

  @Test
  void notReadyWhileDraining() throws Exception {
    JsonObject config = TestNode.config();
    config.put("drain", new JsonObject().put("graceSeconds", 2).put("readinessDelaySeconds", 2));
    Vertx vertx = Vertx.vertx();
    TestNode node = TestNode.start(config);
    try (RawWs stubborn = RawWs.connect(node.port(), "/ws?token=" + node.token("x"), null)) {
      stubborn.read();
      Future<Void> stopping = node.node.stop();
      // not ready at once, while load balancers notice; sockets are closed only after that
      Http.Response ready = Http.get(node.httpBase() + "/health/ready", null);
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json().getString("status")).isEqualTo("DRAINING");
      assertThat(Http.get(node.httpBase() + "/health/live", null).status()).isEqualTo(200);
      try (RawWs late = RawWs.connect(node.port(), "/ws?token=" + node.token("late"), null)) {
        assertThat(late.handshakeStatus).isEqualTo(503);
      }
      long before = System.currentTimeMillis();
      assertThat(stubborn.awaitClose()).isEqualTo(1012);
      assertThat(System.currentTimeMillis() - before).isGreaterThan(1000);
      stopping.await(20, TimeUnit.SECONDS);
    } finally {
      vertx.close();
    }
  }

  @Test
  void historyOutageAnswersUnavailableOrRecoveryFailedAndKeepsTheConnection() {
    StandaloneEngines broken = new StandaloneEngines() {
      @Override
      public History history(Vertx vertx, PulseConfig config) {
        History real = super.history(vertx, config);
        return new History() {
          @Override
          public Future<Message> append(ChannelKey key, String data, byte[] bytes, String from) {
            return Future.failedFuture("history store down");
          }

          @Override
          public Future<Position> position(ChannelKey key) {
            return key.channel().startsWith("ok") ? real.position(key) : Future.failedFuture("history store down");
          }

          @Override
          public Future<Replay> since(ChannelKey key, long offset, String epoch, int limit) {
            return Future.failedFuture("history store down");
          }

          @Override
          public Future<Replay> recent(ChannelKey key, int limit) {
            return Future.failedFuture("history store down");
          }
        };
      }
    };
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(TestNode.config(), broken);
         WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      assertThat(c.subscribe("down/1").getString("code")).isEqualTo("unavailable");
      JsonObject since = c.request(new JsonObject().put("type", "subscribe").put("channel", "down/2")
          .put("since", new JsonObject().put("offset", 3).put("epoch", "e")));
      assertThat(since.getString("code")).isEqualTo("recovery_failed");
      assertThat(c.publish("ok/1", 1).getString("code")).isEqualTo("unavailable");
      assertThat(c.subscribe("ok/1").getString("type")).isEqualTo("subscribed");
      Http.Response api = Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY, "{\"channel\":\"a\",\"data\":1}");
      assertThat(api.status()).isEqualTo(503);
      assertThat(api.errorCode()).isEqualTo("unavailable");
    } finally {
      vertx.close();
    }
  }

  @Test
  void unsubscribeBeforeASlowSubscribeCompletesAnswersBoth() {
    StandaloneEngines slow = new StandaloneEngines() {
      @Override
      public History history(Vertx vertx, PulseConfig config) {
        History real = super.history(vertx, config);
        return new History() {
          @Override
          public Future<Message> append(ChannelKey key, String data, byte[] bytes, String from) {
            return real.append(key, data, bytes, from);
          }

          @Override
          public Future<Position> position(ChannelKey key) {
            return Future.future(p -> vertx.setTimer(300, t -> real.position(key).onComplete(p)));
          }

          @Override
          public Future<Replay> since(ChannelKey key, long offset, String epoch, int limit) {
            return real.since(key, offset, epoch, limit);
          }

          @Override
          public Future<Replay> recent(ChannelKey key, int limit) {
            return real.recent(key, limit);
          }
        };
      }
    };
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(TestNode.config(), slow);
         WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      c.send(new JsonObject().put("type", "subscribe").put("id", 1).put("channel", "slow/1"));
      c.send(new JsonObject().put("type", "unsubscribe").put("id", 2).put("channel", "slow/1"));
      assertThat(c.replyTo(2).getString("type")).isEqualTo("unsubscribed");
      assertThat(c.replyTo(1).getString("code")).isEqualTo("not_found");
      assertThat(node.node.hub().channelCount()).isZero();
    } finally {
      vertx.close();
    }
  }

  @Test
  void unexpectedServerFailureClosesWith1011() {
    StandaloneEngines failing = new StandaloneEngines() {
      @Override
      public Presence presence(Vertx vertx, PulseConfig config) {
        LocalPresence real = new LocalPresence();
        return new Presence() {
          @Override
          public Future<PresenceChange> join(ChannelKey key, ClientInfo client) {
            return real.join(key, client);
          }

          @Override
          public Future<PresenceChange> leave(ChannelKey key, ClientInfo client) {
            return real.leave(key, client);
          }

          @Override
          public Future<List<ClientInfo>> clients(ChannelKey key) {
            throw new IllegalStateException("injected fault");
          }

          @Override
          public Future<java.util.Map<String, Integer>> channels(String app) {
            return real.channels(app);
          }
        };
      }
    };
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(TestNode.config(), failing);
         WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      c.send(new JsonObject().put("type", "presence").put("channel", "a"));
      assertThat(c.awaitClose()).isEqualTo((short) 1011);
      try (WsClient other = WsClient.open(vertx, node.wsUrl("token=" + node.token("king")))) {
        assertThat(other.subscribe("a").getString("type")).isEqualTo("subscribed");
      }
    } finally {
      vertx.close();
    }
  }
}
