package dev.apexpulse.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.YamlConfigBuilder;
import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real 3-node cluster on loopback: three gateway JVM processes (A, B, C) started from
 * {@code dev.apexpulse.Main} with only environment variables, a fourth started late (D), and this JVM
 * joining as a Hazelcast lite member to use {@code pulse.publish} like any other service would.
 *
 * <p>Separate processes rather than several Vert.x instances in this JVM, because "kill B hard" must
 * be what happens in production: SIGKILL, so no shutdown hook runs, no close frame reaches a client
 * (the kernel resets the sockets), Hazelcast is not told and the others must detect the death. In one
 * JVM, terminating Hazelcast would still leave the node's Vert.x, sockets and threads alive.
 *
 * <p>The tests run in order on one cluster; each uses its own channels. Figures are printed at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120)
class ClusterTest {
  static final int MESSAGES = 10_000;
  static final String APP = "100";
  static ClusterFixture cluster;
  static NodeProcess a;
  static NodeProcess b;
  static NodeProcess c;
  static NodeProcess d;
  static Vertx clients;
  static Vertx service;
  static final Map<String, String> figures = new LinkedHashMap<>();
  // presence test clients, kept open until B is killed
  static final List<WsClient> presenceClients = new ArrayList<>();
  static WsClient watcher;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ClusterFixture(5); // slots: 0 A, 1 B, 2 C, 3 D (late), 4 this JVM's service member
    try {
      a = cluster.launch("a", 0);
      long readyA = a.awaitReady(90_000);
      b = cluster.launch("b", 1);
      c = cluster.launch("c", 2);
      long readyB = b.awaitReady(90_000);
      long readyC = c.awaitReady(90_000);
      figures.put("process start to ready (JVM start + Hazelcast join + deploy), A first / B, C together",
          readyA + " / " + readyB + ", " + readyC + " ms");
      clients = Vertx.vertx();
      service = joinAsService(4);
      for (NodeProcess n : List.of(a, b, c)) {
        await("4 members seen by " + n.label, 30_000, () -> n.metric("pulse_cluster_members") == 4);
      }
    } catch (Throwable t) {
      stop();
      throw t;
    }
  }

  @AfterAll
  static void stop() {
    for (WsClient w : presenceClients) {
      w.close();
    }
    if (watcher != null) {
      watcher.close();
    }
    if (clients != null) {
      clients.close().await();
    }
    if (service != null) {
      try {
        service.close().await(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("service member did not leave cleanly: " + e);
      }
    }
    for (NodeProcess n : cluster == null ? List.<NodeProcess>of() : cluster.nodes) {
      try {
        if (n.process.isAlive()) {
          figures.put("sequencer gaps filled from history on node " + n.label, Long.toString((long) n.metric("pulse_sequence_gaps_filled_total")));
        }
      } catch (Throwable e) {
        // not important
      }
    }
    if (cluster != null) {
      cluster.closeAll();
    }
    System.out.println("\n==== cluster figures (" + Runtime.getRuntime().availableProcessors() + " cores, loopback) ====");
    figures.forEach((k, v) -> System.out.println("  " + k + ": " + v));
    System.out.println("================================================================\n");
  }

  /**
   * What docs/EVENT-BUS.md shows: a service joins the cluster with the same Hazelcast file (here as a
   * lite member, holding no data) and talks to pulse over the event bus.
   */
  static Vertx joinAsService(int slot) throws Exception {
    return joinAsService(cluster, slot);
  }

  static Vertx joinAsService(ClusterFixture cluster, int slot) throws Exception {
    Config hz = new YamlConfigBuilder("conf/hazelcast-local.yaml").build();
    hz.setClusterName(cluster.name).setLiteMember(true);
    hz.getNetworkConfig().setPort(cluster.hzBase + slot).setPortAutoIncrement(false);
    hz.getNetworkConfig().getJoin().getTcpIpConfig().setMembers(cluster.members());
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered()
        .await(60, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void everyNodeJoinedOneClusterAndReportsItsJoinTime() {
    for (NodeProcess n : List.of(a, b, c)) {
      assertThat(n.metric("pulse_cluster_members")).isEqualTo(4);
      assertThat(n.metric("pulse_bridge_consumers")).isZero();
      figures.put("Hazelcast join (buildClustered) on node " + n.label, Math.round(n.metric("pulse_cluster_join_seconds") * 1000) + " ms");
    }
    assertThat(Http.get(a.http() + "/health/ready", null).json().getString("status")).isEqualTo("UP");
  }

  @Test
  @Order(2)
  void eventBusConsumersGrowWithChannelsInUsePerNodeNotWithClients() {
    double onA = a.metric("pulse_bridge_consumers");
    List<WsClient> many = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) {
        WsClient w = WsClient.open(clients, b.ws(cluster.token("fan" + i)));
        assertThat(w.subscribe("fan/one").getString("type")).isEqualTo("subscribed");
        many.add(w);
      }
      assertThat(b.metric("pulse_bridge_consumers")).as("30 clients, 1 channel").isEqualTo(1);
      for (int i = 0; i < 6; i++) {
        assertThat(many.get(i).subscribe("fan/ch-" + i).getString("type")).isEqualTo("subscribed");
      }
      assertThat(b.metric("pulse_bridge_consumers")).as("30 clients, 7 channels").isEqualTo(7);
      assertThat(a.metric("pulse_bridge_consumers")).as("no subscribers on A").isEqualTo(onA);

      publishHttp(a, "fan/one", new JsonObject().put("hello", "all"));
      for (WsClient w : many) {
        JsonObject m = w.next("message");
        assertThat(m.getJsonObject("data").getString("hello")).isEqualTo("all");
        assertThat(w.drain(0)).noneMatch(f -> "message".equals(f.getString("type")));
      }
    } finally {
      many.forEach(WsClient::close);
    }
    await("B's consumers gone with its last subscribers", 10_000, () -> b.metric("pulse_bridge_consumers") == 0);
  }

  @Test
  @Order(3)
  void clientFramesPublishedOnAReachBAndCExactlyOnceInOffsetOrder() {
    String channel = "load/frames";
    List<WsClient> subs = subscribers(channel, b, b, c, c, a);
    try (WsClient pub = WsClient.open(clients, a.ws(cluster.token("publisher")))) {
      long t0 = System.nanoTime();
      for (int i = 0; i < MESSAGES; i++) {
        pub.send(new JsonObject().put("type", "publish").put("id", i).put("channel", channel).put("data", new JsonObject().put("i", i)));
      }
      Set<Long> acked = new HashSet<>();
      while (acked.size() < MESSAGES) {
        JsonObject f = pub.poll(30, TimeUnit.SECONDS);
        assertThat(f.getString("type")).as("reply %s", f).isEqualTo("ack");
        acked.add(f.getLong("offset"));
      }
      List<List<JsonObject>> received = collectAll(subs, MESSAGES);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      figures.put("10,000 client-frame publishes on A, all received on B, C (2 sockets each) and A", ms + " ms");
      assertExactlyOnceInOrder(received, acked);
    } finally {
      subs.forEach(WsClient::close);
    }
  }

  @Test
  @Order(4)
  void httpApiPublishesOnAReachBAndCExactlyOnceInOffsetOrder() throws Exception {
    String channel = "load/http";
    List<WsClient> subs = subscribers(channel, b, b, c, c);
    try {
      long t0 = System.nanoTime();
      Set<Long> acked = Collections.synchronizedSet(new HashSet<>());
      List<Thread> threads = new ArrayList<>();
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      for (int t = 0; t < 2; t++) {
        int half = t;
        threads.add(started(() -> {
          try {
            for (int batch = half; batch < MESSAGES / 1000; batch += 2) {
              JsonArray messages = new JsonArray();
              for (int i = batch * 1000; i < (batch + 1) * 1000; i++) {
                messages.add(new JsonObject().put("channel", channel).put("data", new JsonObject().put("i", i)));
              }
              Http.Response r = Http.post(a.http() + "/api/v1/apps/" + APP + "/publish", ClusterFixture.API_KEY,
                  new JsonObject().put("messages", messages).encode());
              assertThat(r.status()).as(r.body()).isEqualTo(200);
              r.json().getJsonArray("results").forEach(o -> acked.add(((JsonObject) o).getLong("offset")));
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }));
      }
      for (Thread t : threads) {
        t.join();
      }
      assertThat(errors).isEmpty();
      List<List<JsonObject>> received = collectAll(subs, MESSAGES);
      figures.put("10,000 HTTP API publishes on A (10 batches of 1,000, 2 at a time), all received on B and C",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
      assertExactlyOnceInOrder(received, acked);
    } finally {
      subs.forEach(WsClient::close);
    }
  }

  @Test
  @Order(5)
  void pulsePublishOnTheEventBusReachesEveryNodeExactlyOnceInOffsetOrder() throws Exception {
    String channel = "load/eventbus";
    List<WsClient> subs = subscribers(channel, b, b, c, c, a);
    try {
      long t0 = System.nanoTime();
      Set<Long> acked = Collections.synchronizedSet(new HashSet<>());
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      Semaphore inFlight = new Semaphore(256);
      CountDownLatch done = new CountDownLatch(MESSAGES);
      for (int i = 0; i < MESSAGES; i++) {
        inFlight.acquire();
        service.eventBus().<JsonObject>request("pulse.publish",
                new JsonObject().put("app", APP).put("channel", channel).put("data", new JsonObject().put("i", i)))
            .onComplete(ar -> {
              if (ar.succeeded()) {
                acked.add(ar.result().body().getLong("offset"));
              } else {
                errors.add(ar.cause());
              }
              inFlight.release();
              done.countDown();
            });
      }
      assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(errors).isEmpty();
      List<List<JsonObject>> received = collectAll(subs, MESSAGES);
      figures.put("10,000 pulse.publish requests (256 in flight) from a service member, all received on A, B, C",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
      assertExactlyOnceInOrder(received, acked);
    } finally {
      subs.forEach(WsClient::close);
    }
  }

  @Test
  @Order(6)
  void pulsePublishValidatesWithTheProtocolErrorCodes() {
    assertThat(eventBusFailure(new JsonObject().put("app", "nope").put("channel", "x").put("data", 1)))
        .startsWith("404 not_found:");
    assertThat(eventBusFailure(new JsonObject().put("app", APP).put("channel", "bad channel!").put("data", 1)))
        .startsWith("400 bad_request:");
    assertThat(eventBusFailure(new JsonObject().put("app", APP).put("channel", "x")))
        .startsWith("400 bad_request:").contains("data");
    assertThat(eventBusFailure(new JsonObject().put("app", APP).put("channel", "x").put("data", "y".repeat(70_000))))
        .startsWith("413 too_large:");
    JsonObject ok = service.eventBus().<JsonObject>request("pulse.publish",
        new JsonObject().put("app", APP).put("channel", "/svc/ok").put("data", new JsonArray().add(1))).await().body();
    assertThat(ok.getLong("offset")).isEqualTo(1);
    assertThat(ok.getString("channel")).isEqualTo("svc/ok");
  }

  @Test
  @Order(6)
  void binaryMessagesPublishedOnAArriveByteExactOnBAndReplayFromClusterHistory() {
    String channel = "bin/cluster";
    byte[] payload = new byte[256];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (255 - i);
    }
    List<WsClient> subs = subscribers(channel, b);
    WsClient onB = subs.get(0);
    try (WsClient pub = WsClient.open(clients, a.ws(cluster.token("bin-publisher")))) {
      String epoch;
      JsonObject ack = pub.publishBinary(channel, payload);
      assertThat(ack.getString("type")).as("%s", ack).isEqualTo("ack");
      Http.Response http = Http.postBytes(a.http() + "/api/v1/apps/" + APP + "/publish?channel=" + channel,
          ClusterFixture.API_KEY, new byte[] {0, (byte) 0xff, 0});
      assertThat(http.status()).as(http.body()).isEqualTo(200);
      JsonObject first = onB.next("message");
      assertThat(first.getBoolean("binary")).isTrue();
      assertThat(first.getLong("offset")).isEqualTo(ack.getLong("offset"));
      assertThat(first.getBinary("bytes")).isEqualTo(payload);
      JsonObject second = onB.next("message");
      assertThat(second.getBinary("bytes")).containsExactly(0, 0xff, 0);
      // the Hazelcast ring keeps them binary: recovery on C replays the same bytes
      Http.Response h = Http.get(c.http() + "/api/v1/apps/" + APP + "/history?channel=" + channel, ClusterFixture.API_KEY);
      assertThat(h.status()).isEqualTo(200);
      epoch = h.json().getString("epoch");
      try (WsClient onC = WsClient.open(clients, c.ws(cluster.token("bin-late")))) {
        JsonObject sub = onC.request(new JsonObject().put("type", "subscribe").put("channel", channel)
            .put("since", new JsonObject().put("offset", first.getLong("offset") - 1).put("epoch", epoch)));
        assertThat(sub.getBoolean("recovered")).as("%s", sub).isTrue();
        assertThat(onC.next("message").getBinary("bytes")).isEqualTo(payload);
        assertThat(onC.next("message").getBinary("bytes")).containsExactly(0, 0xff, 0);
      }
    } finally {
      subs.forEach(WsClient::close);
    }
  }

  @Test
  @Order(7)
  void presenceIsClusterWideAndJoinLeaveHappenOncePerUser() {
    String channel = "room/presence";
    watcher = WsClient.open(clients, a.ws(cluster.token("watcher")));
    watcher.subscribe(channel);
    assertThat(watcher.next("join").getString("user")).isEqualTo("watcher");
    // alice on A; bob on B and on C (two tabs); carol on B; dave on C
    String[][] plan = {{"alice", "a"}, {"bob", "b"}, {"carol", "b"}, {"bob", "c"}, {"dave", "c"}};
    for (String[] p : plan) {
      NodeProcess n = node(p[1]);
      WsClient w = WsClient.open(clients, n.ws(cluster.token(p[0])));
      assertThat(w.subscribe(channel).getString("type")).isEqualTo("subscribed");
      presenceClients.add(w);
    }
    List<String> joins = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      JsonObject f = watcher.poll(10, TimeUnit.SECONDS);
      assertThat(f.getString("type")).isEqualTo("join");
      joins.add(f.getString("user"));
    }
    assertThat(joins).containsExactlyInAnyOrder("alice", "bob", "carol", "dave");
    assertThat(watcher.drain(500)).as("bob's second tab is no second join").isEmpty();
    for (NodeProcess n : List.of(a, b, c)) {
      assertPresence(n, channel, List.of("alice", "bob", "carol", "dave", "watcher"), 6);
    }
    // the websocket presence request too, answered on C
    JsonObject p = presenceClients.get(4).request(new JsonObject().put("type", "presence").put("channel", channel));
    assertThat(p.getInteger("count")).isEqualTo(5);
    assertThat(p.getInteger("connections")).isEqualTo(6);
  }

  @Test
  @Order(8)
  void crossNodeLatencyIsMeasured() throws Exception {
    String channel = "latency/1";
    Timed onB = Timed.open(clients, "B", b.ws(cluster.token("lb")), channel);
    Timed onC = Timed.open(clients, "C", c.ws(cluster.token("lc")), channel);
    try (WsClient pub = WsClient.open(clients, a.ws(cluster.token("lp")))) {
      int n = 2000;
      long[] sent = new long[n];
      for (int i = 0; i < n; i++) {
        sent[i] = System.nanoTime();
        pub.send(new JsonObject().put("type", "publish").put("channel", channel).put("data", new JsonObject().put("i", i)));
        Thread.sleep(2); // ~400 msg/s
      }
      for (Timed t : List.of(onB, onC)) {
        long[] lat = new long[n];
        for (int k = 0; k < n; k++) {
          Timed.Arrival arr = t.next();
          lat[arr.i] = arr.nanos - sent[arr.i];
        }
        java.util.Arrays.sort(lat);
        figures.put("publish (client frame on A) -> receive (socket on " + t.label + "), " + n + " msgs at ~400/s, p50 / p99 / max",
            String.format("%.2f / %.2f / %.2f ms", lat[n / 2] / 1e6, lat[n * 99 / 100] / 1e6, lat[n - 1] / 1e6));
      }
    } finally {
      onB.close();
      onC.close();
    }
  }

  @Test
  @Order(9)
  void killingBHardLosesNothingClientsRecoverElsewhereWithTheSameEpoch() throws Exception {
    String channel = "recover/1";
    List<WsClient> onB = subscribers(channel, b, b, b);
    List<WsClient> survivors = subscribers(channel, a, c);
    String epoch = Http.get(a.http() + "/api/v1/apps/" + APP + "/history?channel=" + channel + "&limit=1", ClusterFixture.API_KEY)
        .json().getString("epoch");

    // a steady publisher on A, through the whole failure
    AtomicBoolean publishing = new AtomicBoolean(true);
    Set<Long> acked = Collections.synchronizedSet(new TreeSet<>());
    List<String> publishErrors = new CopyOnWriteArrayList<>();
    Thread publisher = started(() -> {
      int i = 0;
      while (publishing.get()) {
        Http.Response r = Http.post(a.http() + "/api/v1/apps/" + APP + "/publish", ClusterFixture.API_KEY,
            new JsonObject().put("channel", channel).put("data", new JsonObject().put("i", i++)).encode());
        if (r.status() == 200) {
          acked.add(r.json().getJsonArray("results").getJsonObject(0).getLong("offset"));
        } else {
          publishErrors.add(r.body());
        }
        ClusterFixture.sleep(4);
      }
    });
    ClusterFixture.sleep(700);

    int ackedBeforeKill = acked.size();
    long killed = System.nanoTime();
    b.kill();
    List<Long> lastSeen = new ArrayList<>();
    List<List<Long>> before = new ArrayList<>();
    for (WsClient w : onB) {
      await("client of B sees its socket die", 10_000, w::isClosed);
      List<Long> offsets = w.drain(0).stream().filter(f -> "message".equals(f.getString("type")))
          .map(f -> f.getLong("offset")).collect(Collectors.toList());
      before.add(offsets);
      lastSeen.add(offsets.isEmpty() ? 0L : offsets.get(offsets.size() - 1));
      w.close();
    }
    // they reconnect at once, alternately to A and C, and resubscribe with since
    List<WsClient> moved = new ArrayList<>();
    for (int i = 0; i < onB.size(); i++) {
      NodeProcess target = i % 2 == 0 ? a : c;
      WsClient w = WsClient.open(clients, target.ws(cluster.token("b-client-" + i)));
      JsonObject sub = w.request(new JsonObject().put("type", "subscribe").put("channel", channel)
          .put("since", new JsonObject().put("offset", lastSeen.get(i)).put("epoch", epoch)));
      assertThat(sub.getString("type")).as("%s", sub).isEqualTo("subscribed");
      assertThat(sub.getBoolean("recovered")).as("recovered after moving to %s: %s", target.label, sub).isTrue();
      assertThat(sub.getString("epoch")).as("epoch unchanged by B's death").isEqualTo(epoch);
      moved.add(w);
    }
    long reconnected = System.nanoTime();
    await("A sees B gone", 20_000, () -> a.metric("pulse_cluster_members") == 3);
    long detected = System.nanoTime();
    assertThat(c.metric("pulse_cluster_members")).isEqualTo(3);
    // presence right again on every survivor: bob still has his tab on C, carol is gone
    for (NodeProcess n : List.of(a, c)) {
      assertPresenceEventually(n, "room/presence", List.of("alice", "bob", "dave", "watcher"), 4);
    }
    long presenceRight = System.nanoTime();
    JsonObject leave = watcher.next("leave");
    assertThat(leave.getString("user")).as("carol's only connection was on B").isEqualTo("carol");
    assertThat(watcher.drain(300)).as("bob is still on C: no leave").noneMatch(f -> "leave".equals(f.getString("type")));

    ClusterFixture.sleep(1500);
    publishing.set(false);
    publisher.join();
    long last = Collections.max(acked);
    figures.put("kill -9 of B -> its 3 clients resubscribed (recovered) on A/C", ms(reconnected - killed) + " ms");
    figures.put("failure detection: kill -9 of B -> A's member list without B", ms(detected - killed) + " ms");
    figures.put("kill -9 of B -> presence right on A and C (B's entries removed)", ms(presenceRight - killed) + " ms");
    figures.put("messages published on A during the B failure test (1 per HTTP request)", Integer.toString(acked.size()));

    // every client, moved or not, has every offset exactly once, in order
    for (int i = 0; i < moved.size(); i++) {
      List<Long> after = collectOffsets(moved.get(i), last);
      List<Long> all = new ArrayList<>(before.get(i));
      all.addAll(after);
      assertContiguous("client moved from B #" + i, all, all.get(0), last);
      moved.get(i).close();
    }
    for (WsClient w : survivors) {
      List<Long> got = collectOffsets(w, last);
      assertContiguous("client on a survivor", got, got.get(0), last);
      w.close();
    }
    assertThat(acked.size() - ackedBeforeKill).as("publishing went on while B died: %s", publishErrors).isGreaterThan(50);
    figures.put("HTTP publishes refused during the failure (client must retry)", Integer.toString(publishErrors.size()));
  }

  @Test
  @Order(10)
  void aNodeJoiningLateReceivesLiveMessagesAndServesRecovery() throws Exception {
    d = cluster.launch("d", 3);
    long ready = d.awaitReady(90_000);
    figures.put("late node D: process start to ready", ready + " ms");
    figures.put("late node D: Hazelcast join (buildClustered)", Math.round(d.metric("pulse_cluster_join_seconds") * 1000) + " ms");
    await("D sees A, C and the service", 20_000, () -> d.metric("pulse_cluster_members") == 4);

    String channel = "recover/1";
    JsonObject h = Http.get(a.http() + "/api/v1/apps/" + APP + "/history?channel=" + channel + "&limit=1", ClusterFixture.API_KEY).json();
    long top = h.getLong("offset");
    String epoch = h.getString("epoch");
    try (WsClient late = WsClient.open(clients, d.ws(cluster.token("late")));
         WsClient fresh = WsClient.open(clients, d.ws(cluster.token("fresh")))) {
      JsonObject sub = late.request(new JsonObject().put("type", "subscribe").put("channel", channel)
          .put("since", new JsonObject().put("offset", top - 100).put("epoch", epoch)));
      assertThat(sub.getBoolean("recovered")).as("%s", sub).isTrue();
      assertThat(sub.getString("epoch")).isEqualTo(epoch);
      assertThat(fresh.subscribe("late/live").getLong("offset")).isZero();
      for (int i = 0; i < 50; i++) {
        publishHttp(i % 2 == 0 ? a : c, channel, new JsonObject().put("late", i));
      }
      assertContiguous("recovered on D, then live", collectOffsets(late, top + 50), top - 99, top + 50);
      try (WsClient pub = WsClient.open(clients, c.ws(cluster.token("pc")))) {
        assertThat(pub.publish("late/live", "hello D").getLong("offset")).isEqualTo(1);
      }
      JsonObject m = fresh.next("message");
      assertThat(m.getString("data")).isEqualTo("hello D");
      assertThat(m.getLong("offset")).isEqualTo(1);
    }
    // and D serves history to the HTTP API like any node
    JsonObject viaD = Http.get(d.http() + "/api/v1/apps/" + APP + "/history?channel=" + channel + "&since=" + (top + 40)
        + "&epoch=" + epoch, ClusterFixture.API_KEY).json();
    assertThat(viaD.getBoolean("recovered")).isTrue();
    assertThat(viaD.getJsonArray("messages")).hasSize(10);
  }

  // ---- helpers ----

  static NodeProcess node(String label) {
    return switch (label) {
      case "a" -> a;
      case "b" -> b;
      case "c" -> c;
      default -> d;
    };
  }

  static List<WsClient> subscribers(String channel, NodeProcess... on) {
    List<WsClient> out = new ArrayList<>();
    int i = 0;
    for (NodeProcess n : on) {
      WsClient w = WsClient.open(clients, n.ws(cluster.token("sub-" + n.label + "-" + i++)));
      JsonObject s = w.subscribe(channel);
      assertThat(s.getString("type")).as("%s", s).isEqualTo("subscribed");
      out.add(w);
    }
    return out;
  }

  static void publishHttp(NodeProcess n, String channel, Object data) {
    Http.Response r = Http.post(n.http() + "/api/v1/apps/" + APP + "/publish", ClusterFixture.API_KEY,
        new JsonObject().put("channel", channel).put("data", data).encode());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  static String eventBusFailure(JsonObject request) {
    try {
      service.eventBus().request("pulse.publish", request).await(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure for " + request);
    } catch (ReplyException e) {
      return e.failureCode() + " " + e.getMessage();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** {@code n} message frames from each client (join/leave skipped), waiting at most 60 s in all. */
  static List<List<JsonObject>> collectAll(List<WsClient> subs, int n) {
    long end = System.currentTimeMillis() + 60_000;
    List<List<JsonObject>> out = new ArrayList<>();
    for (WsClient w : subs) {
      out.add(new ArrayList<>(n));
    }
    for (int k = 0; k < subs.size(); k++) {
      List<JsonObject> got = out.get(k);
      while (got.size() < n) {
        long left = end - System.currentTimeMillis();
        if (left <= 0) {
          throw new AssertionError("subscriber #" + k + " got only " + got.size() + " of " + n + " messages; "
              + describeGaps(out) + "\n--- node logs ---\n" + a.tail() + "\n" + b.tail() + "\n" + c.tail());
        }
        try {
          JsonObject f = subs.get(k).poll(Math.min(left, 1000), TimeUnit.MILLISECONDS);
          if ("message".equals(f.getString("type"))) {
            got.add(f);
          }
        } catch (AssertionError timeout) {
          // loop: the deadline decides
        }
      }
      assertThat(subs.get(k).drain(200)).as("nothing more").noneMatch(f -> "message".equals(f.getString("type")));
    }
    return out;
  }

  static String describeGaps(List<List<JsonObject>> all) {
    StringBuilder s = new StringBuilder();
    for (int k = 0; k < all.size(); k++) {
      List<Long> offsets = all.get(k).stream().map(f -> f.getLong("offset")).toList();
      s.append("\n  #").append(k).append(": ").append(offsets.size()).append(" messages");
      if (!offsets.isEmpty()) {
        s.append(", ").append(offsets.get(0)).append("..").append(offsets.get(offsets.size() - 1));
        List<String> gaps = new ArrayList<>();
        for (int i = 1; i < offsets.size() && gaps.size() < 10; i++) {
          if (offsets.get(i) != offsets.get(i - 1) + 1) {
            gaps.add(offsets.get(i - 1) + "->" + offsets.get(i));
          }
        }
        s.append(", jumps ").append(gaps);
      }
    }
    return s.toString();
  }

  /** Message offsets until {@code last} arrived. */
  static List<Long> collectOffsets(WsClient w, long last) {
    List<Long> got = new ArrayList<>();
    long end = System.currentTimeMillis() + 30_000;
    while (got.isEmpty() || got.get(got.size() - 1) < last) {
      long left = end - System.currentTimeMillis();
      assertThat(left).as("stuck after %s", got.isEmpty() ? "nothing" : got.get(got.size() - 1)).isPositive();
      JsonObject f = w.poll(left, TimeUnit.MILLISECONDS);
      if ("message".equals(f.getString("type"))) {
        got.add(f.getLong("offset"));
      }
    }
    assertThat(w.drain(200)).noneMatch(f -> "message".equals(f.getString("type")));
    return got;
  }

  static void assertContiguous(String who, List<Long> offsets, long first, long last) {
    List<Long> expected = LongStream.rangeClosed(first, last).boxed().toList();
    assertThat(offsets).as(who + ": every offset from " + first + " to " + last + " once, in order").isEqualTo(expected);
  }

  static void assertExactlyOnceInOrder(List<List<JsonObject>> received, Set<Long> acked) {
    long first = Collections.min(acked);
    long last = Collections.max(acked);
    assertThat(last - first + 1).as("acked offsets are contiguous").isEqualTo(MESSAGES);
    assertThat(acked).hasSize(MESSAGES);
    for (List<JsonObject> got : received) {
      assertContiguous("subscriber", got.stream().map(f -> f.getLong("offset")).toList(), first, last);
      Set<Integer> is = got.stream().map(f -> f.getJsonObject("data").getInteger("i")).collect(Collectors.toSet());
      assertThat(is).as("every payload once").isEqualTo(IntStream.range(0, MESSAGES).boxed().collect(Collectors.toSet()));
    }
  }

  static void assertPresence(NodeProcess n, String channel, List<String> users, int connections) {
    JsonObject p = Http.get(n.http() + "/api/v1/apps/" + APP + "/presence?channel=" + channel, ClusterFixture.API_KEY).json();
    List<String> got = p.getJsonArray("clients").stream().map(o -> ((JsonObject) o).getString("user")).sorted().toList();
    assertThat(got).as("users seen by node " + n.label).isEqualTo(users);
    assertThat(p.getInteger("connections")).as("connections seen by node " + n.label).isEqualTo(connections);
    JsonObject channels = Http.get(n.http() + "/api/v1/apps/" + APP + "/channels", ClusterFixture.API_KEY).json();
    int listed = channels.getJsonArray("channels").stream().map(o -> (JsonObject) o)
        .filter(o -> channel.equals(o.getString("channel"))).mapToInt(o -> o.getInteger("subscribers")).sum();
    assertThat(listed).as("channels endpoint of node " + n.label).isEqualTo(connections);
  }

  static void assertPresenceEventually(NodeProcess n, String channel, List<String> users, int connections) {
    long end = System.currentTimeMillis() + 20_000;
    while (true) {
      try {
        assertPresence(n, channel, users, connections);
        return;
      } catch (AssertionError e) {
        if (System.currentTimeMillis() > end) {
          throw e;
        }
        ClusterFixture.sleep(50);
      }
    }
  }

  static void await(String what, long millis, BooleanSupplier condition) {
    long end = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("timed out waiting: " + what);
      }
      ClusterFixture.sleep(25);
    }
  }

  static Thread started(Runnable r) {
    Thread t = new Thread(r, "cluster-test");
    t.setDaemon(true);
    t.start();
    return t;
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** A subscriber that stamps each message with its arrival time (System.nanoTime) as it is read. */
  static final class Timed {
    record Arrival(int i, long nanos) {}

    final String label;
    final LinkedBlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<JsonObject> control = new LinkedBlockingQueue<>();
    WebSocketClient client;

    private Timed(String label) {
      this.label = label;
    }

    static Timed open(Vertx vertx, String label, String url, String channel) throws Exception {
      Timed t = new Timed(label);
      t.client = vertx.createWebSocketClient(new WebSocketClientOptions());
      WebSocket ws = t.client.connect(new WebSocketConnectOptions().setAbsoluteURI(url)).map(s -> {
        s.textMessageHandler(text -> {
          long now = System.nanoTime();
          JsonObject f = new JsonObject(text);
          if ("message".equals(f.getString("type"))) {
            t.arrivals.add(new Arrival(f.getJsonObject("data").getInteger("i"), now));
          } else {
            t.control.add(f);
          }
        });
        return s;
      }).await(10, TimeUnit.SECONDS);
      ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", 1).put("channel", channel).encode());
      while (true) {
        JsonObject f = t.control.poll(10, TimeUnit.SECONDS);
        assertThat(f).as("subscribed on " + label).isNotNull();
        if ("subscribed".equals(f.getString("type"))) {
          return t;
        }
      }
    }

    Arrival next() throws InterruptedException {
      Arrival x = arrivals.poll(20, TimeUnit.SECONDS);
      assertThat(x).as("a message on " + label).isNotNull();
      return x;
    }

    void close() {
      client.close();
    }
  }
}
