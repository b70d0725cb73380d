package dev.apexpulse.k8s;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drain end to end, as Kubernetes drives it: the real jar in its own JVM, clients connected,
 * SIGTERM ({@link Process#destroy()}). It must turn not-ready at once, keep its sockets for
 * drain.readinessDelaySeconds, then close every one with 1012 and exit 0 within the grace time.
 */
@Timeout(180)
class DrainIT {
  private static final int CLIENTS = 300;
  private static final int READINESS_DELAY = 2;
  private static final int GRACE = 6;
  /**
   * Main gives the drain this long beyond delay + grace before giving up (Main.drain); the Deployment's
   * terminationGracePeriodSeconds budgets it too. Timing bounds use it: on a shared, busy machine a
   * drain that takes ~0.4 s when idle can take seconds.
   */
  private static final int STOP_MARGIN = 10;
  private static final Jwt JWT = new Jwt(TestNode.APP, TestNode.SECRET);

  @TempDir
  Path dir;

  private Map<String, String> env() throws Exception {
    Path conf = dir.resolve("pulse.yaml");
    Files.writeString(conf, String.join("\n",
        "http: {host: 127.0.0.1, port: 0, instances: 2}",
        "drain: {readinessDelaySeconds: " + READINESS_DELAY + ", graceSeconds: " + GRACE + "}",
        ""));
    // as in the Deployment: production mode, JSON logs, secrets from the environment
    return Map.of("PULSE_CONF", conf.toString(), "PULSE_MODE", "production", "PULSE_LOG_FORMAT", "json",
        "PULSE_APP_100_SECRET", TestNode.SECRET, "PULSE_APP_100_API_KEY", TestNode.API_KEY);
  }

  private static String token(String user) {
    return JWT.hs256(JWT.claims(user, 3600).put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**")));
  }

  @Test
  void sigtermTurnsNotReadyThenClosesEverySocketWith1012AndExitsZero() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<WsClient> clients = new ArrayList<>();
    try (PulseProcess pulse = PulseProcess.start("drain", PulseProcess.jar(), env(), List.of("-Xmx256m")).awaitReady(60)) {
      String base = "http://127.0.0.1:" + pulse.port;
      assertThat(Http.get(base + "/health/ready", null).status()).isEqualTo(200);
      for (int i = 0; i < CLIENTS; i++) {
        WsClient c = WsClient.open(vertx, "ws://127.0.0.1:" + pulse.port + "/ws?token=" + token("u" + i));
        assertThat(c.subscribe("drain/room").getString("type")).isEqualTo("subscribed");
        clients.add(c);
      }
      Http.Response published = Http.post(base + "/api/v1/apps/100/publish", TestNode.API_KEY,
          "{\"channel\":\"drain/room\",\"data\":{\"n\":1}}");
      assertThat(published.status()).isEqualTo(200);
      for (WsClient c : clients) {
        assertThat(c.next("message").getJsonObject("data").getInteger("n")).isEqualTo(1);
      }

      assertThat(pulse.process.supportsNormalTermination()).as("destroy() sends SIGTERM").isTrue();
      long t0 = System.nanoTime();
      pulse.process.destroy();

      // 1. not ready at once, still alive, refusing new sockets, existing ones untouched
      long notReadyAt = -1;
      while (ms(t0) < 1500) {
        Http.Response ready = Http.get(base + "/health/ready", null);
        if (ready.status() == 503) {
          assertThat(ready.json().getString("status")).isEqualTo("DRAINING");
          notReadyAt = ms(t0);
          break;
        }
        Thread.sleep(10);
      }
      assertThat(notReadyAt).as("ms until /health/ready answered 503").isBetween(0L, 1500L);
      assertThat(Http.get(base + "/health/live", null).status()).isEqualTo(200);
      try (RawWs late = RawWs.connect(pulse.port, "/ws?token=" + token("late"), null)) {
        assertThat(late.status).isEqualTo(503);
      }
      assertThat(clients).noneMatch(WsClient::isClosed);

      // 2. every socket closed with 1012, none before the readiness delay, all within the grace time
      long[] closedAt = new long[CLIENTS];
      int open = CLIENTS;
      while (open > 0 && ms(t0) < (READINESS_DELAY + GRACE + 5) * 1000L) {
        for (int i = 0; i < CLIENTS; i++) {
          if (closedAt[i] == 0 && clients.get(i).isClosed()) {
            closedAt[i] = ms(t0);
            open--;
          }
        }
        Thread.sleep(5);
      }
      assertThat(open).as("sockets still open").isZero();
      for (WsClient c : clients) {
        assertThat(c.awaitClose()).isEqualTo((short) 1012);
      }
      long first = java.util.Arrays.stream(closedAt).min().orElseThrow();
      long last = java.util.Arrays.stream(closedAt).max().orElseThrow();
      assertThat(first).as("first close (ms after SIGTERM)").isGreaterThanOrEqualTo(READINESS_DELAY * 1000L - 50);
      assertThat(notReadyAt).isLessThan(first);
      // the hard bound is the Kubernetes budget (terminationGracePeriodSeconds covers delay + grace + margin);
      // on an idle machine the last close comes a few hundred ms after the delay (printed below)
      assertThat(last).as("last close (ms after SIGTERM)").isLessThanOrEqualTo((READINESS_DELAY + GRACE + STOP_MARGIN) * 1000L);

      // 3. exit status 0 within readiness delay + grace
      assertThat(pulse.process.waitFor(READINESS_DELAY + GRACE + STOP_MARGIN, TimeUnit.SECONDS))
          .as("exited within readiness delay + grace + the stop margin the Deployment's grace period budgets").isTrue();
      long exitedAt = ms(t0);
      assertThat(pulse.process.exitValue()).as("exit status; output:\n" + pulse.output()).isZero();
      System.out.printf("drain: %d sockets, readiness delay %d s, grace %d s: not ready after %d ms, closed with 1012 "
          + "from %d to %d ms, exit 0 after %d ms (all after SIGTERM)%n", CLIENTS, READINESS_DELAY, GRACE, notReadyAt, first, last, exitedAt);

      // the log: JSON lines only, the drain announced and finished, no errors
      pulse.awaitLine(Pattern.compile("node " + pulse.nodeId + " stopped"), 5);
      assertThat(pulse.output()).doesNotContain("stop did not finish cleanly");
      for (String line : pulse.lines()) {
        JsonObject json = new JsonObject(line);
        assertThat(json.getString("level")).as(line).isNotEqualTo("ERROR");
      }
      assertThat(pulse.output()).contains("stopping: not ready for " + READINESS_DELAY + " s");
    } finally {
      for (WsClient c : clients) {
        c.close();
      }
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void unknownLogFormatIsAConfigurationError() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(env());
    env.put("PULSE_LOG_FORMAT", "xml");
    try (PulseProcess pulse = PulseProcess.start("bad-log-format", PulseProcess.jar(), env, List.of())) {
      assertThat(pulse.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(pulse.process.exitValue()).isEqualTo(2);
      pulse.close();
      assertThat(pulse.output()).contains("PULSE_LOG_FORMAT: expected plain or json, got 'xml'");
    }
  }

  private static long ms(long since) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
  }
}
