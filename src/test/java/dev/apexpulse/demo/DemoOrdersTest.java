package dev.apexpulse.demo;

import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.VertxTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The demo orders table and its status trigger in H2: a status change queues exactly one outbox row for
 * user/&lt;owner&gt;, in the updating transaction; the /dev/orders endpoints exist in dev mode only. Also
 * /dev/token, the dev-mode token endpoint a local page's tokenProvider calls across origins.
 */
@Timeout(60)
class DemoOrdersTest extends VertxTest {
  /** The outbox table as the gateway's H2 schema creates it (ARCHITECTURE.md, Database). */
  static final String OUTBOX_DDL = """
      CREATE TABLE IF NOT EXISTS pulse_outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        app_id VARCHAR(64) NOT NULL, channel VARCHAR(255) NOT NULL, payload CLOB NOT NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)""";


  private static Connection open(String url) throws Exception {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute(OUTBOX_DDL);
    }
    return c;
  }

  private static List<String> outbox(Connection c) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT app_id, channel, payload FROM pulse_outbox ORDER BY id")) {
      while (r.next()) {
        rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3));
      }
    }
    return rows;
  }

  @Test
  void statusChangeQueuesOneOutboxRowInTheSameTransaction() throws Exception {
    try (Connection c = open("jdbc:h2:mem:demo-trigger;DB_CLOSE_DELAY=-1")) {
      try (Statement s = c.createStatement()) {
        for (String sql : DemoOrders.script("demo/h2-demo.sql")) {
          s.execute(sql);
        }
        for (String sql : DemoOrders.script("demo/h2-demo.sql")) {
          s.execute(sql); // re-runnable
        }
        s.execute("INSERT INTO pulse_demo_orders (owner) VALUES ('SCOTT')");
        assertThat(outbox(c)).isEmpty(); // an insert notifies nobody
        s.execute("UPDATE pulse_demo_orders SET status = 'PAID' WHERE owner = 'SCOTT'");
        s.execute("UPDATE pulse_demo_orders SET status = 'PAID' WHERE owner = 'SCOTT'"); // no change, no row
        s.execute("UPDATE pulse_demo_orders SET owner = 'SCOTT' WHERE owner = 'SCOTT'");
        assertThat(outbox(c)).containsExactly("100 user/SCOTT {\"order\":1,\"status\":\"PAID\"}");

        c.setAutoCommit(false);
        s.execute("UPDATE pulse_demo_orders SET status = 'SHIPPED' WHERE owner = 'SCOTT'");
        assertThat(outbox(c)).hasSize(2);
        c.rollback(); // the change and its notification go together
        c.setAutoCommit(true);
        assertThat(outbox(c)).hasSize(1);
      }
    }
  }

  @Test
  void ordersAdvanceThroughTheirStatusesAndNotifyTheirOwner() throws Exception {
    String url = "jdbc:h2:mem:demo-orders;DB_CLOSE_DELAY=-1";
    try (Connection c = open(url)) {
      DemoOrders orders = DemoOrders.open(vertx, url, "", "");
      try {
        orders.ready().await(20, TimeUnit.SECONDS);
        JsonArray seeded = orders.list(null, 100).await(10, TimeUnit.SECONDS);
        assertThat(seeded).hasSize(8);
        assertThat(orders.list("SCOTT", 100).await(10, TimeUnit.SECONDS)).hasSize(3);

        JsonObject created = orders.create("ALICE").await(10, TimeUnit.SECONDS);
        assertThat(created.getString("status")).isEqualTo("NEW");
        assertThat(created.getString("next")).isEqualTo("PAID");
        long id = created.getLong("id");
        assertThat(orders.advance(id).await(10, TimeUnit.SECONDS).getString("status")).isEqualTo("PAID");
        assertThat(orders.advance(id).await(10, TimeUnit.SECONDS).getString("status")).isEqualTo("SHIPPED");
        JsonObject delivered = orders.advance(id).await(10, TimeUnit.SECONDS);
        assertThat(delivered.getString("status")).isEqualTo("DELIVERED");
        assertThat(delivered.getValue("next")).isNull();
        assertThat(outbox(c)).containsExactly(
            "100 user/ALICE {\"order\":" + id + ",\"status\":\"PAID\"}",
            "100 user/ALICE {\"order\":" + id + ",\"status\":\"SHIPPED\"}",
            "100 user/ALICE {\"order\":" + id + ",\"status\":\"DELIVERED\"}");

        assertThatThrownBy(() -> orders.advance(id).await(10, TimeUnit.SECONDS))
            .isInstanceOfSatisfying(PulseException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        assertThatThrownBy(() -> orders.advance(999_999).await(10, TimeUnit.SECONDS))
            .isInstanceOfSatisfying(PulseException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> orders.create("not a channel segment!").await(10, TimeUnit.SECONDS))
            .isInstanceOfSatisfying(PulseException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        assertThat(orders.advanceAny().await(10, TimeUnit.SECONDS).getString("status")).isIn("PAID", "SHIPPED", "DELIVERED");
        assertThat(outbox(c)).hasSize(4);
      } finally {
        orders.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void offWithoutH2() {
    DemoOrders off = DemoOrders.off("no database");
    assertThat(off.enabled()).isFalse();
    assertThatThrownBy(() -> off.list(null, 1).await(5, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(PulseException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void devModeServesTheOrdersEndpointsToLocalhost() throws Exception {
    String url = "jdbc:h2:mem:demo-http;DB_CLOSE_DELAY=-1";
    try (Connection c = open(url)) {
      JsonObject config = TestNode.config().put("mode", "dev")
          .put("db", new JsonObject().put("url", url))
          .put("outbox", new JsonObject().put("enabled", false)); // rows stay for this test to read
      try (TestNode node = TestNode.start(config)) {
        String base = node.httpBase() + "/dev/orders";
        Http.Response list = null;
        for (int i = 0; i < 100; i++) { // the table is created right after the start
          list = Http.get(base + "?owner=KING", null);
          if (list.status() == 200) {
            break;
          }
          Thread.sleep(100);
        }
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().getJsonArray("orders")).hasSize(1);
        Http.Response created = Http.post(base, null, "{\"owner\":\"KING\"}");
        assertThat(created.status()).isEqualTo(200);
        long id = created.json().getJsonObject("order").getLong("id");
        Http.Response advanced = Http.post(base + "/" + id + "/advance", null, "{}");
        assertThat(advanced.json().getJsonObject("order").getString("status")).isEqualTo("PAID");
        assertThat(outbox(c)).contains("100 user/KING {\"order\":" + id + ",\"status\":\"PAID\"}");
        assertThat(Http.post(base, null, "{\"owner\":\"a/b\"}").errorCode()).isEqualTo("bad_request");
        assertThat(Http.post(base + "/x/advance", null, "{}").errorCode()).isEqualTo("bad_request");
      }
    }
    try (TestNode production = TestNode.start()) {
      assertThat(Http.get(production.httpBase() + "/dev/orders", null).status()).isEqualTo(404);
    }
  }

  @Test
  void devTokenAnswersTheAppsAllowedOriginsWithCors() throws Exception {
    JsonObject config = TestNode.config().put("mode", "dev");
    config.getJsonObject("apps").put(TestNode.APP, new JsonObject() // no secret: dev mode generates one
        .put("origins", new JsonArray().add("http://localhost:*").add("http://127.0.0.1:*").add("https://localhost:*")));
    HttpClient http = HttpClient.newHttpClient();
    try (TestNode node = TestNode.start(config)) {
      String url = node.httpBase() + "/dev/token?user=alice";
      // a tokenProvider on another local origin (a static server on :8000) may read the token
      for (String origin : List.of("http://127.0.0.1:8000", "http://localhost:8000")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Origin", origin).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getString("token")).isNotEmpty();
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(origin).hasValue(origin);
        assertThat(r.headers().allValues("Vary")).contains("Origin");
      }
      // an origin the app does not accept gets the token (curl could too) but no CORS header: the browser hides it
      for (String origin : List.of("http://[::1]:8000", "https://evil.example.com")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Origin", origin).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(origin).isEmpty();
        assertThat(r.headers().allValues("Vary")).contains("Origin");
      }
      HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(plain.statusCode()).isEqualTo(200);
      assertThat(plain.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
  }

  @Test
  void devTokenIsNeverReadableByARemoteSiteEvenWhenEveryOriginMayConnect() throws Exception {
    JsonObject config = TestNode.config().put("mode", "dev");
    config.getJsonObject("apps").put(TestNode.APP, new JsonObject().put("origins", new JsonArray().add("*")));
    HttpClient http = HttpClient.newHttpClient();
    try (TestNode node = TestNode.start(config)) {
      String url = node.httpBase() + "/dev/token?user=alice";
      // a site open in the developer's browser, a sandboxed or file page ("null"): no CORS header
      for (String origin : List.of("https://evil.example.com", "null", "http://localhost.evil.example.com")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Origin", origin).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(origin).isEmpty();
      }
      HttpResponse<String> local = http.send(HttpRequest.newBuilder(URI.create(url)).header("Origin", "http://localhost:8000").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(local.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://localhost:8000");
    }
  }
}
