package dev.apexpulse.k8s;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.PgTestDb;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance bar for PostgreSQL: the real jar, configured for the database by the PULSE_DB_*
 * variables alone (plus a free port), against a real PostgreSQL; a row inserted with {@code psql}
 * reaches a WebSocket subscriber. The jar brings the driver, creates the tables and the doorbell
 * trigger, and LISTENs.
 */
@Timeout(120)
class PostgresOutboxIT {

  @Test
  void aRowInsertedWithPsqlReachesASubscriber() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (PgTestDb db = PgTestDb.create("jar")) {
      Map<String, String> env = new HashMap<>(db.env());
      // not database settings: a free loopback port, so that parallel runs do not collide
      env.put("PULSE_HTTP_PORT", "0");
      env.put("PULSE_HTTP_HOST", "127.0.0.1");
      try (PulseProcess pulse = PulseProcess.start("postgres-outbox", PulseProcess.jar(), env, List.of("-Xmx256m")).awaitReady(60)) {
        pulse.awaitLine(Pattern.compile("outbox: listening on pulse_outbox"), 30);
        String base = "http://127.0.0.1:" + pulse.port;
        JsonObject ready = Http.get(base + "/health/ready", null).json();
        assertThat(ready.getString("db")).isEqualTo("UP");
        String token = Http.get(base + "/dev/token?app=100&user=psql-watcher", null).json().getString("token");
        try (WsClient c = WsClient.open(vertx, "ws://127.0.0.1:" + pulse.port + "/ws?token=" + token)) {
          assertThat(c.subscribe("orders/shipped").getString("type")).isEqualTo("subscribed");
          db.psql("INSERT INTO pulse_outbox (app_id, channel, payload) VALUES ('100', 'orders/shipped', '{\"order\":42,\"status\":\"SHIPPED\"}')");
          JsonObject m = c.next("message");
          assertThat(m.getString("channel")).isEqualTo("orders/shipped");
          assertThat(m.getJsonObject("data")).isEqualTo(new JsonObject().put("order", 42).put("status", "SHIPPED"));
        }
        assertThat(db.count("pulse_outbox")).isZero();
      }
    } finally {
      vertx.close();
    }
  }
}
