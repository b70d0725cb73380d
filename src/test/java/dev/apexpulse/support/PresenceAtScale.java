package dev.apexpulse.support;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of connections on one channel, all of one user or each of its own, on one node or
 * spread over a cluster's nodes: presence counts them, messages published at 10 msg/s all arrive in
 * order, and (one user, presence events on) the user joins once and leaves once.
 */
public final class PresenceAtScale {
  static final int MESSAGES = 30;
  static final int RATE = 10;

  private final Vertx vertx;
  private final int[] ports;

  /** {@code ports}: the nodes' HTTP ports; subscriber i connects to {@code ports[i % n]}, publishing goes to the first. */
  public PresenceAtScale(Vertx vertx, int... ports) {
    this.vertx = vertx;
    this.ports = ports;
  }

  /**
   * {@code connections} connections of one user ("wall") in {@code app}, whose tokens {@code jwt} signs,
   * watched by another user's connection on the last node; the app must have presence events on.
   */
  public void oneUser(String app, Jwt jwt, String apiKey, String channel, int connections) {
    try (WsClient watcher = WsClient.open(vertx, "ws://127.0.0.1:" + ports[ports.length - 1] + "/ws?token=" + token(jwt, "watcher"))) {
      watcher.subscribe(channel);
      assertThat(watcher.next("join").getString("user")).isEqualTo("watcher");
      String wall = token(jwt, "wall");
      long t0 = System.nanoTime();
      long subscribed;
      long present;
      long delivered;
      try (Crowd crowd = Crowd.subscribe(vertx, ports, i -> wall, channel, connections, 200, 240)) {
        subscribed = System.nanoTime();
        awaitPresence(app, apiKey, channel, 2, connections + 1);
        present = System.nanoTime();
        publishAndCheck(crowd, apiKey, app, channel);
        delivered = System.nanoTime();
        List<JsonObject> seen = watcher.drain(0);
        while (seen.stream().filter(f -> "message".equals(f.getString("type"))).count() < MESSAGES) {
          seen.add(watcher.poll());
        }
        assertThat(seen.stream().filter(f -> "join".equals(f.getString("type"))))
            .as("the wall's first connection joined, the others did not").extracting(f -> f.getString("user")).containsExactly("wall");
      }
      long closed = System.nanoTime();
      awaitPresence(app, apiKey, channel, 1, 1);
      report("one user", connections, t0, subscribed, present, delivered, closed, System.nanoTime());
      assertThat(watcher.next("leave").getString("user")).as("the wall's last connection left").isEqualTo("wall");
      // a marker behind any further event: nothing but it may follow
      publish(apiKey, app, channel, new JsonObject().put("marker", true));
      JsonObject f = watcher.poll();
      assertThat(f.getString("type")).as("no second leave or join: %s", f).isEqualTo("message");
      assertThat(f.getJsonObject("data").getBoolean("marker")).isTrue();
    }
  }

  /** {@code connections} connections, each of its own user; the app should have presence events off. */
  public void distinctUsers(String app, Jwt jwt, String apiKey, String channel, int connections) {
    long t0 = System.nanoTime();
    try (Crowd crowd = Crowd.subscribe(vertx, ports, i -> token(jwt, "user-" + i), channel, connections, 200, 240)) {
      long subscribed = System.nanoTime();
      awaitPresence(app, apiKey, channel, connections, connections);
      long present = System.nanoTime();
      publishAndCheck(crowd, apiKey, app, channel);
      long delivered = System.nanoTime();
      crowd.close();
      long closed = System.nanoTime();
      awaitPresence(app, apiKey, channel, 0, 0);
      report("distinct users", connections, t0, subscribed, present, delivered, closed, System.nanoTime());
    }
  }

  private void report(String what, int connections, long... t) {
    System.out.printf("presence at scale, %d connections, %s, %d node(s): subscribed %d ms, in presence +%d ms, %d messages delivered +%d ms,"
            + " closed +%d ms, gone from presence +%d ms%n", connections, what, ports.length, (t[1] - t[0]) / 1_000_000,
        (t[2] - t[1]) / 1_000_000, MESSAGES, (t[3] - t[2]) / 1_000_000, (t[4] - t[3]) / 1_000_000, (t[5] - t[4]) / 1_000_000);
  }

  private void publishAndCheck(Crowd crowd, String apiKey, String app, String channel) {
    long start = System.nanoTime();
    for (int i = 1; i <= MESSAGES; i++) {
      publish(apiKey, app, channel, new JsonObject().put("i", i));
      long due = start + i * 1_000_000_000L / RATE;
      long wait = (due - System.nanoTime()) / 1_000_000;
      if (wait > 0) {
        sleep(wait);
      }
    }
    Await.until("every subscriber got all " + MESSAGES + " messages; problems: " + crowd.problems(), 60_000,
        () -> crowd.allReceived(MESSAGES) || !crowd.problems().isEmpty());
    assertThat(crowd.problems()).as("gaps, duplicates, closes").isEmpty();
    assertThat(crowd.delivered()).as("nothing lost, nothing twice").isEqualTo((long) MESSAGES * crowd.size());
  }

  private void publish(String apiKey, String app, String channel, JsonObject data) {
    Http.Response r = Http.post(base(ports[0]) + "/api/v1/apps/" + app + "/publish", apiKey,
        new JsonObject().put("channel", channel).put("data", data).encode());
    assertThat(r.status()).as("publish: %s", r.body()).isEqualTo(200);
  }

  /** Every node reports the same cluster-wide presence: {@code users} distinct users, {@code connections} in all. */
  private void awaitPresence(String app, String apiKey, String channel, int users, int connections) {
    for (int port : ports) {
      String url = base(port) + "/api/v1/apps/" + app + "/presence?channel=" + channel;
      JsonObject[] last = {null};
      // polled slowly: listing thousands of connections is work for the node too
      until("presence on :" + port + " of " + users + " users, " + connections + " connections", 120_000, () -> {
        last[0] = Http.get(url, apiKey).json();
        return last[0].getInteger("count") == users && last[0].getInteger("connections") == connections;
      }, () -> last[0] == null ? "nothing" : "count " + last[0].getInteger("count") + ", connections " + last[0].getInteger("connections"));
    }
  }

  private static void until(String what, long millis, BooleanSupplier condition, java.util.function.Supplier<String> got) {
    long end = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("not within " + millis + " ms: " + what + "; last seen: " + got.get());
      }
      sleep(250);
    }
  }

  private static String token(Jwt jwt, String user) {
    return jwt.hs256(jwt.claims(user, 3600).put("sub_ch", new JsonArray().add("**")));
  }

  private static String base(int port) {
    return "http://127.0.0.1:" + port;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
