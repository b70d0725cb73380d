package dev.apexpulse.admin;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.TestDb;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin API and the console socket against a real node with a database and a job: who gets in,
 * whether the data is right, that no secret ever comes out, and the operator's actions.
 */
@Timeout(120)
class AdminApiTest {
  static final String ADMIN_KEY = "test-admin-key-0123456789-abcdef";
  static final String OTHER_API_KEY = "other-api-key-0123456789";
  /** Every secret the node knows: none may appear in any admin response or console frame. */
  static final List<String> SECRETS = List.of(TestNode.SECRET, TestNode.API_KEY, TestNode.OTHER_SECRET, OTHER_API_KEY, ADMIN_KEY);
  /** A JWT (the console's own session and ticket tokens, pa1.…, are not JWTs and may appear where asked for). */
  static final Pattern JWT = Pattern.compile("(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{5,}\\.");

  static TestDb db;
  static TestNode node;
  static Vertx vertx;
  /** Raw bodies and frames seen by the tests, checked for secrets at the end of each test that collects. */
  static final List<String> seen = new ArrayList<>();

  @BeforeAll
  static void start() {
    db = TestDb.memory("admin");
    JsonObject config = db.nodeConfig()
        .put("admin", new JsonObject().put("key", ADMIN_KEY))
        .put("jobs", new JsonArray().add(new JsonObject().put("name", "hourly-tick").put("app", TestNode.APP)
            .put("channel", "ticks/hourly").put("every", "1h")));
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    node.close();
    vertx.close();
    db.close();
  }

  static String url(String path) {
    return node.httpBase() + "/api/v1/admin" + path;
  }

  static Http.Response get(String path, String bearer) {
    Http.Response r = Http.get(url(path), bearer);
    seen.add(r.body());
    return r;
  }

  static Http.Response post(String path, String bearer, String body) {
    Http.Response r = Http.post(url(path), bearer, body);
    seen.add(r.body());
    return r;
  }

  /**
   * A console session. Its reply is the one admin response that carries a JWT (with the ticket's): the
   * console credential it exists to hand out, for the console's audience only, never an app token.
   */
  static String session(String operator) {
    Http.Response r = Http.post(url("/session"), ADMIN_KEY, new JsonObject().put("operator", operator).encode());
    assertThat(r.status()).isEqualTo(200);
    return consoleToken(r.json().getString("token"));
  }

  static String ticket(String session) {
    return consoleToken(Http.post(url("/ticket"), session, "").json().getString("ticket"));
  }

  private static String consoleToken(String jwt) {
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
    assertThat(claims.getString("aud")).isEqualTo("apex-pulse-console");
    assertThat(claims.containsKey("app")).as("no app claim").isFalse();
    return jwt;
  }

  /** A console socket, subscribed; returns it with the first (full) message consumed. */
  static WsClient console(List<JsonObject> full) {
    WsClient c = WsClient.open(vertx, node.consoleWsUrl("token=" + ticket(session("tester"))));
    JsonObject sub = c.subscribe(ConsoleFeed.CHANNEL);
    assertThat(sub.getString("type")).isEqualTo("subscribed");
    JsonObject first = c.next("message");
    seen.add(first.encode());
    full.add(first.getJsonObject("data"));
    return c;
  }

  static void assertNoSecrets(String where, String raw) {
    for (String secret : SECRETS) {
      assertThat(raw).as(where + " must not contain a configured secret").doesNotContain(secret);
    }
    assertThat(JWT.matcher(raw).find()).as(where + " must not contain a JWT: " + raw).isFalse();
  }

  // ---- who gets in ----

  @Test
  void refusedWithoutKeyWithAWrongKeyAnAppKeyAnAppSecretOrAToken() {
    for (String path : List.of("/overview", "/nodes", "/connections", "/outbox", "/jobs", "/series")) {
      assertThat(get(path, null).status()).as(path + " without a key").isEqualTo(401);
      assertThat(get(path, "wrong-admin-key-0123456789-abcdef").status()).as(path + " with a wrong key").isEqualTo(401);
      assertThat(get(path, TestNode.API_KEY).status()).as(path + " with the app's API key").isEqualTo(401);
      assertThat(get(path, TestNode.SECRET).status()).as(path + " with the app's secret").isEqualTo(401);
      assertThat(get(path, node.token("alice")).status()).as(path + " with an app token").isEqualTo(401);
    }
    Http.Response r = get("/overview", TestNode.API_KEY);
    assertThat(r.errorCode()).isEqualTo("unauthorized");
    // a session is bought with the key only, never with another session or an app key
    assertThat(post("/session", TestNode.API_KEY, "{}").status()).isEqualTo(401);
    assertThat(post("/session", session("a"), "{}").status()).isEqualTo(401);
    // actions too
    assertThat(post("/users/disconnect", TestNode.API_KEY, "{\"app\":\"100\",\"user\":\"x\"}").status()).isEqualTo(401);
    assertThat(post("/nodes/" + node.node.config().nodeId() + "/drain", null, "").status()).isEqualTo(401);
    assertThat(node.node.ready()).isTrue();
  }

  @Test
  void theKeyAndASessionOpenTheApi() {
    assertThat(get("/overview", ADMIN_KEY).status()).isEqualTo(200);
    String s = session("alice");
    assertThat(s.split("\\.")).as("a JWT").hasSize(3);
    assertThat(get("/overview", s).status()).isEqualTo(200);
    // a ticket is not a session
    assertThat(get("/overview", ticket(s)).status()).isEqualTo(401);
    // a session signed with another admin key is worth nothing here
    String forged = new AdminAccess(vertx, "another-admin-key-0123456789-xyz").session("mallory", System.currentTimeMillis());
    assertThat(get("/overview", forged).status()).isEqualTo(401);
    Http.Response page = Http.get(node.httpBase() + "/console", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("<form").doesNotContain(ADMIN_KEY);
  }

  @Test
  void onlyATicketOpensTheConsoleChannel() {
    // an app token's "console" is an ordinary channel of its own app: it never carries console data
    try (WsClient app = WsClient.open(vertx, node.wsUrl("token=" + node.token("alice")))) {
      assertThat(app.subscribe(ConsoleFeed.CHANNEL).getString("type")).isEqualTo("subscribed");
      assertThat(app.drain(1500)).noneMatch(f -> "message".equals(f.getString("type")));
    }
    // a ticket of another admin key: refused like a bad token
    AdminAccess other = new AdminAccess(vertx, "another-admin-key-0123456789-xyz");
    String forgedSession = other.session("m", System.currentTimeMillis());
    String forgedTicket = other.ticket(other.verifySession(forgedSession).await(), System.currentTimeMillis());
    try (WsClient c = WsClient.connect(vertx, node.consoleWsUrl("token=" + forgedTicket))) {
      assertThat(c.next("error").getString("code")).isEqualTo("unauthorized");
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
    // a session token is not a ticket, nor is an app token
    try (WsClient c = WsClient.connect(vertx, node.consoleWsUrl("token=" + session("s")))) {
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
    try (WsClient c = WsClient.connect(vertx, node.consoleWsUrl("token=" + node.token("alice")))) {
      assertThat(c.next("error").getString("code")).isEqualTo("unauthorized");
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
    // and a ticket opens no app socket
    try (WsClient c = WsClient.connect(vertx, node.wsUrl("token=" + ticket(session("u"))))) {
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
    // a console socket may follow the console channel only
    try (WsClient c = WsClient.open(vertx, node.consoleWsUrl("token=" + ticket(session("t"))))) {
      assertThat(c.subscribe("dashboard/orders").getString("code")).isEqualTo("forbidden");
      assertThat(c.publish(ConsoleFeed.CHANNEL, 1).getString("code")).isEqualTo("forbidden");
      assertThat(c.request(new JsonObject().put("type", "auth").put("token", node.token("x"))).getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe(ConsoleFeed.CHANNEL).getString("type")).isEqualTo("subscribed");
    }
    // a page of another origin cannot open one; the console page's own origin (the gateway's) can
    try (RawWs raw = RawWs.connect(node.port(), "/console/ws?token=" + ticket(session("o")), "https://evil.example.com")) {
      assertThat(raw.status).isEqualTo(403);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    try (RawWs raw = RawWs.connect(node.port(), "/console/ws?token=" + ticket(session("o")), "http://127.0.0.1:" + node.port())) {
      assertThat(raw.status).isEqualTo(101);
      assertThat(raw.read().text()).contains("welcome");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  // ---- the data ----

  @Test
  void overviewCountsConnectionsChannelsAndErrors() throws Exception {
    List<WsClient> clients = new ArrayList<>();
    try {
      for (String user : List.of("ann", "ann", "bob")) {
        WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token(user)));
        assertThat(c.subscribe("dashboard/sales").getString("type")).isEqualTo("subscribed");
        clients.add(c);
      }
      assertThat(clients.get(2).subscribe("chat/room/1").getString("type")).isEqualTo("subscribed");
      for (int i = 0; i < 20; i++) {
        assertThat(clients.get(0).publish("dashboard/sales", i).getString("type")).isEqualTo("ack");
      }
      // an error a client was told
      WsClient limited = WsClient.open(vertx, node.wsUrl("token=" + node.token("carol", new JsonArray().add("mine/**"), new JsonArray())));
      clients.add(limited);
      assertThat(limited.subscribe("dashboard/secret").getString("code")).isEqualTo("forbidden");

      List<JsonObject> full = new ArrayList<>();
      try (WsClient console = console(full)) {
        // the console socket itself is not counted among the connections, but as an admin; both in one
        // sample (a second sampled before the console connected already shows the 4 app connections)
        JsonObject[] overview = new JsonObject[1];
        Await.until("4 connections and the console socket reported", 10_000, () -> {
          overview[0] = get("/overview", ADMIN_KEY).json();
          JsonObject node0 = overview[0].getJsonArray("nodes").isEmpty() ? null : overview[0].getJsonArray("nodes").getJsonObject(0);
          return overview[0].getJsonObject("totals").getLong("connections") == 4 && node0 != null && node0.getLong("admins") == 1;
        });
        JsonObject o = overview[0];
        JsonObject n = o.getJsonArray("nodes").getJsonObject(0);
        assertThat(n.getString("node")).isEqualTo(node.node.config().nodeId());
        assertThat(n.getLong("admins")).isEqualTo(1L);
        assertThat(n.getLong("heapUsedMb")).isPositive();
        assertThat(n.getLong("uptimeSeconds")).isNotNegative();
        assertThat(n.getValue("lagMs")).isInstanceOf(Number.class);
        JsonObject app = o.getJsonArray("apps").stream().map(JsonObject.class::cast)
            .filter(a -> a.getString("app").equals("100")).findFirst().orElseThrow();
        assertThat(app.getLong("connections")).isEqualTo(4L);
        assertThat(app.getJsonObject("channelOptions").getJsonArray("channels")).isEmpty();
        assertThat(app.getJsonObject("channelOptions").getJsonObject("defaults").getJsonObject("history").getInteger("size"))
            .isEqualTo(node.node.config().history().size());
        JsonObject sales = app.getJsonArray("channels").stream().map(JsonObject.class::cast)
            .filter(c -> c.getString("channel").equals("dashboard/sales")).findFirst().orElseThrow();
        assertThat(sales.getLong("subscribers")).isEqualTo(3L);
        assertThat(sales.getDouble("rate")).isPositive();
        JsonObject errors = o.getJsonObject("errors");
        assertThat(errors.getJsonObject("byCode").getLong("forbidden")).isGreaterThanOrEqualTo(1L);
        assertThat(errors.getJsonArray("recent").stream().map(JsonObject.class::cast))
            .anyMatch(e -> "forbidden".equals(e.getString("code")) && e.getString("detail").contains("dashboard/secret"));

        // the live feed: ticks with the same numbers, every second
        JsonObject tick = null;
        for (int i = 0; i < 5; i++) {
          JsonObject f = console.next("message");
          seen.add(f.encode());
          tick = f.getJsonObject("data");
          if (tick.getJsonObject("totals").getLong("connections") == 4) {
            break;
          }
        }
        assertThat(tick.getString("kind")).isEqualTo("tick");
        assertThat(tick.getJsonObject("totals").getLong("connections")).isEqualTo(4L);
        assertThat(tick.getJsonObject("point").getLong("t")).isPositive();
        assertThat(full.get(0).getString("kind")).isEqualTo("full");
        JsonObject series = full.get(0).getJsonObject("series");
        assertThat(series.getJsonArray("published")).hasSize(NodeStatus.SERIES_SECONDS);

        // the 20 publishes are in the series (published, and 20 x 3 deliveries)
        Await.until("series shows the publishes", 5000, () -> sum(get("/series", ADMIN_KEY).json().getJsonArray("published")) >= 20);
        JsonObject s = get("/series", ADMIN_KEY).json();
        assertThat(sum(s.getJsonArray("delivered"))).isGreaterThanOrEqualTo(60L);

        // connections, filtered by user
        JsonObject list = get("/connections?app=100&user=ann", ADMIN_KEY).json();
        assertThat(list.getLong("total")).isEqualTo(2L);
        assertThat(list.getJsonArray("connections").getJsonObject(0).getString("user")).isEqualTo("ann");
        assertThat(list.getJsonArray("connections").getJsonObject(0).getLong("channels")).isEqualTo(1L);
        assertThat(get("/connections", ADMIN_KEY).json().getLong("total")).isEqualTo(5L); // with the console
      }
    } finally {
      clients.forEach(WsClient::close);
    }
    seen.forEach(raw -> assertNoSecrets("admin response", raw));
  }

  static long sum(JsonArray a) {
    long n = 0;
    for (int i = 0; i < a.size(); i++) {
      n += a.getLong(i);
    }
    return n;
  }

  @Test
  void jobsAndOutbox() {
    JsonArray jobs = get("/jobs", ADMIN_KEY).json().getJsonArray("jobs");
    assertThat(jobs).hasSize(1);
    assertThat(get("/overview", ADMIN_KEY).json().getJsonArray("jobs")).hasSize(1);
    assertThat(get("/overview", ADMIN_KEY).json().getJsonObject("outbox").getBoolean("enabled")).isTrue();
    JsonObject job = jobs.getJsonObject(0);
    assertThat(job.getString("name")).isEqualTo("hourly-tick");
    Await.until("the job has a runner", 5000, () ->
        node.node.config().nodeId().equals(get("/jobs", ADMIN_KEY).json().getJsonArray("jobs").getJsonObject(0).getString("runner")));

    db.outbox("100", "orders/new", "{not json");
    Await.until("the bad row is dead", 5000, () -> get("/outbox", ADMIN_KEY).json().getLong("dead", 0L) >= 1);
    JsonObject outbox = get("/outbox", ADMIN_KEY).json();
    assertThat(outbox.getBoolean("enabled")).isTrue();
    assertThat(outbox.getLong("backlog")).isNotNegative();
    assertThat(outbox.getString("runner")).isEqualTo(node.node.config().nodeId());
    JsonObject dead = outbox.getJsonArray("deadRows").getJsonObject(0);
    assertThat(dead.getString("reason")).startsWith("bad_json");
    assertThat(dead.getString("payloadPreview")).isEqualTo("{not json");
    assertThat(dead.getString("channel")).isEqualTo("orders/new");
    seen.forEach(raw -> assertNoSecrets("admin response", raw));
  }

  // ---- actions ----

  @Test
  void disconnectAConnectionAndAUser() {
    try (WsClient a1 = WsClient.open(vertx, node.wsUrl("token=" + node.token("dora")));
         WsClient a2 = WsClient.open(vertx, node.wsUrl("token=" + node.token("dora")));
         WsClient b = WsClient.open(vertx, node.wsUrl("token=" + node.token("eve")))) {
      String eve = get("/connections?app=100&user=eve", ADMIN_KEY).json().getJsonArray("connections").getJsonObject(0).getString("id");
      JsonObject r = post("/connections/" + eve + "/disconnect", session("ops"), "").json();
      assertThat(r.getLong("closed")).isEqualTo(1L);
      assertThat(b.awaitClose()).isEqualTo((short) 1008);
      assertThat(b.ws.closeReason()).isEqualTo("disconnected by an operator");
      assertThat(a1.isClosed()).isFalse();

      JsonObject u = post("/users/disconnect", ADMIN_KEY, new JsonObject().put("app", "100").put("user", "dora").encode()).json();
      assertThat(u.getLong("closed")).isEqualTo(2L);
      assertThat(a1.awaitClose()).isEqualTo((short) 1008);
      assertThat(a2.awaitClose()).isEqualTo((short) 1008);
      assertThat(post("/connections/c-nope-1/disconnect", ADMIN_KEY, "").json().getLong("closed")).isZero();
      assertThat(post("/users/disconnect", ADMIN_KEY, "{\"app\":\"100\"}").status()).isEqualTo(400);
    }
  }

  @Test
  void runAJobNow() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("tick-reader")))) {
      assertThat(c.subscribe("ticks/hourly").getString("type")).isEqualTo("subscribed");
      long before = get("/jobs", ADMIN_KEY).json().getJsonArray("jobs").getJsonObject(0).getLong("runs");
      Http.Response r = post("/jobs/hourly-tick/run", ADMIN_KEY, "");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getLong("runs")).isGreaterThan(before);
      assertThat(r.json().getString("lastOutcome")).isEqualTo("published");
      assertThat(c.next("message").getJsonObject("data").getLong("tick")).isPositive();
      assertThat(post("/jobs/nope/run", ADMIN_KEY, "").status()).isEqualTo(404);
    }
  }

  @Test
  void requeueADeadRow() {
    db.exec("INSERT INTO pulse_outbox_dead (id, app_id, channel, payload, created_at, reason)"
        + " VALUES (900001, '100', 'requeue/test', '{\"back\":true}', CURRENT_TIMESTAMP, 'unavailable: test')");
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("requeue-reader")))) {
      assertThat(c.subscribe("requeue/test").getString("type")).isEqualTo("subscribed");
      Http.Response r = post("/outbox/dead/900001/requeue", ADMIN_KEY, "");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getBoolean("requeued")).isTrue();
      assertThat(c.next("message").getJsonObject("data").getBoolean("back")).isTrue();
      assertThat(db.rows("SELECT COUNT(*) FROM pulse_outbox_dead WHERE id = 900001").get(0).get(0)).isEqualTo(0L);
      assertThat(post("/outbox/dead/900001/requeue", ADMIN_KEY, "").status()).isEqualTo(404);
      assertThat(post("/outbox/dead/abc/requeue", ADMIN_KEY, "").status()).isEqualTo(400);
    }
  }

  @Test
  void drainANodeLikeSigterm() throws Exception {
    JsonObject config = TestNode.config().put("admin", new JsonObject().put("key", ADMIN_KEY))
        .put("drain", new JsonObject().put("graceSeconds", 2));
    TestNode other = TestNode.start(config);
    boolean[] hook = {false};
    other.node.afterDrain(() -> hook[0] = true);
    try (WsClient c = WsClient.open(vertx, other.wsUrl("token=" + other.token("frank")))) {
      String id = other.node.config().nodeId();
      Http.Response r = Http.post(other.httpBase() + "/api/v1/admin/nodes/" + id + "/drain", ADMIN_KEY, "");
      assertThat(r.status()).isEqualTo(202);
      assertThat(r.json().getBoolean("draining")).isTrue();
      assertThat(c.awaitClose()).isEqualTo((short) 1012);
      Await.until("the drain finished and ran the hook", 10_000, () -> hook[0]);
      assertThat(Http.post(other.httpBase() + "/api/v1/admin/nodes/n-unknown/drain", ADMIN_KEY, "").status()).isIn(404, -1);
    } catch (IllegalStateException gone) {
      // the node is gone: the last request could not connect, as expected
    } finally {
      other.close();
    }
  }

  @Test
  void offWithoutAKey() {
    TestNode off = TestNode.start(TestNode.config());
    try {
      Http.Response page = Http.get(off.httpBase() + "/console", null);
      assertThat(page.status()).isEqualTo(404);
      assertThat(page.json().getJsonObject("error").getString("message")).contains("PULSE_ADMIN_KEY");
      Http.Response api = Http.get(off.httpBase() + "/api/v1/admin/overview", ADMIN_KEY);
      assertThat(api.status()).isEqualTo(404);
      assertThat(api.errorCode()).isEqualTo("not_found");
      assertThat(Http.post(off.httpBase() + "/api/v1/admin/session", ADMIN_KEY, "{}").status()).isEqualTo(404);
      try (WsClient c = WsClient.connect(vertx, off.consoleWsUrl("token=" + new AdminAccess(vertx, ADMIN_KEY)
          .ticket(new AdminAccess.Grant("x", "y", System.currentTimeMillis() + 60_000), System.currentTimeMillis())))) {
        assertThat(c.awaitClose()).isEqualTo((short) 1008);
      }
    } finally {
      off.close();
    }
  }
}
