package dev.apexpulse.auth;

import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.LogCapture;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attacks on authentication and authorisation that {@link TokenAttackTest} does not cover (issue 7,
 * part 2): more algorithm confusion, kid tricks between apps with JWKS keys, one app's credentials
 * on another, grants escaping through pattern tricks, publishing with read-only grants, API keys,
 * cross-origin upgrades, and tokens never reaching the logs. Each test is a row of docs/SECURITY.md.
 */
@Timeout(90)
class AuthAttackTest extends LiveNodeTest {
  static final String JWKS_A = "500";
  static final String JWKS_B = "600";
  static KeyPair keyA;
  static KeyPair keyB;
  static LogCapture logs;

  @BeforeAll
  static void start() throws Exception {
    logs = LogCapture.install();
    KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA");
    rg.initialize(2048);
    keyA = rg.generateKeyPair();
    keyB = rg.generateKeyPair();
    JsonObject config = TestNode.config();
    config.getJsonObject("apps")
        .put(JWKS_A, new JsonObject().put("publicKeys", new JsonArray().add(new JsonObject().put("algorithm", "RS256")
            .put("pem", new JsonObject().put("keys", new JsonArray().add(jwk(keyA, "k-a"))).encode()))))
        .put(JWKS_B, new JsonObject().put("publicKeys", new JsonArray().add(new JsonObject().put("algorithm", "RS256")
            .put("pem", new JsonObject().put("keys", new JsonArray().add(jwk(keyB, "k-b"))).encode()))));
    startNode(config);
  }

  @AfterAll
  static void closeLogs() {
    logs.close();
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String unsignedBig(BigInteger n) {
    byte[] b = n.toByteArray();
    return b64(b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b);
  }

  private static JsonObject jwk(KeyPair kp, String kid) {
    RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
    return new JsonObject().put("kty", "RSA").put("kid", kid).put("alg", "RS256").put("use", "sig")
        .put("n", unsignedBig(pub.getModulus())).put("e", unsignedBig(pub.getPublicExponent()));
  }

  private static JsonObject claims(String app, String user, long ttl) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", user).put("app", app).put("iat", now).put("exp", now + ttl)
        .put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**"));
  }

  private static String rs256(JsonObject header, JsonObject claims, PrivateKey key) {
    String input = Jwt.b64(header.encode()) + "." + Jwt.b64(claims.encode());
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject header(String alg) {
    return new JsonObject().put("alg", alg).put("typ", "JWT");
  }

  /** The token is refused in the URL: an unauthorized error frame, then close 1008. */
  private static String refused(String token) throws Exception {
    try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + token, null)) {
      assertThat(ws.status).isEqualTo(101);
      JsonObject error = new JsonObject(ws.read().text());
      assertThat(error.getString("code")).as(error.encode()).isEqualTo("unauthorized");
      assertThat(ws.awaitClose()).isEqualTo(1008);
      return error.getString("message");
    }
  }

  private static WsClient accepted(String token) {
    return WsClient.open(vertx, node.wsUrl("token=" + token));
  }

  // ---- algorithm confusion ----

  @Test
  void hs256SignedWithThePublicKeyInAnyEncodingIsRefused() throws Exception {
    RSAPublicKey pub = (RSAPublicKey) keyA.getPublic();
    List<byte[]> encodings = List.of(
        pub.getEncoded(),                                                       // DER (X.509)
        jwk(keyA, "k-a").encode().getBytes(StandardCharsets.UTF_8),             // the JWK text
        new JsonObject().put("keys", new JsonArray().add(jwk(keyA, "k-a"))).encode().getBytes(StandardCharsets.UTF_8),
        pub.getModulus().toByteArray());                                        // the modulus
    for (byte[] key : encodings) {
      assertThat(refused(Jwt.hs256(header("HS256"), claims(JWKS_A, "mallory", 600), key))).contains("signature");
    }
  }

  @Test
  void algorithmSpellingsAndUnconfiguredAlgorithmsAreRefused() throws Exception {
    byte[] secret = TestNode.SECRET.getBytes(StandardCharsets.UTF_8);
    for (String none : List.of("none", "None", "NONE", "nOnE")) {
      assertThat(refused(Jwt.b64(header(none).encode()) + "." + Jwt.b64(claims(TestNode.APP, "m", 600).encode()) + ".x"))
          .contains("algorithm");
    }
    // signed with the app's real secret, but under an algorithm name the app is not configured for
    for (String alg : List.of("hs256", "HS384", "HS512", "RS256", "ES256", "PS256")) {
      refused(Jwt.hs256(header(alg), claims(TestNode.APP, "mallory", 600), secret));
    }
    // an RS256 token for an HS256-only app, signed by a key the attacker owns
    refused(rs256(header("RS256"), claims(TestNode.APP, "mallory", 600), keyA.getPrivate()));
  }

  @Test
  void keysEmbeddedOrLinkedInTheHeaderAreIgnored() throws Exception {
    KeyPair attacker = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    JsonObject withJwk = header("RS256").put("jwk", jwk(attacker, "evil"));
    assertThat(refused(rs256(withJwk, claims(JWKS_A, "mallory", 600), attacker.getPrivate()))).contains("signature");
    JsonObject withJku = header("RS256").put("jku", "http://127.0.0.1:1/jwks.json").put("x5u", "http://127.0.0.1:1/cert.pem");
    assertThat(refused(rs256(withJku, claims(JWKS_A, "mallory", 600), attacker.getPrivate()))).contains("signature");
  }

  // ---- kid ----

  @Test
  void kidCannotSelectAnotherAppsKey() throws Exception {
    // app B's token signed with app A's key, naming app A's kid: verified only with app B's keys
    assertThat(refused(rs256(header("RS256").put("kid", "k-a"), claims(JWKS_B, "mallory", 600), keyA.getPrivate())))
        .contains("signature");
    // the legitimate tokens verify, with or without their kid
    try (WsClient c = accepted(rs256(header("RS256").put("kid", "k-a"), claims(JWKS_A, "alice", 600), keyA.getPrivate()))) {
      assertThat(c.subscribe("x").getString("type")).isEqualTo("subscribed");
    }
    try (WsClient c = accepted(rs256(header("RS256"), claims(JWKS_B, "bob", 600), keyB.getPrivate()))) {
      assertThat(c.subscribe("x").getString("type")).isEqualTo("subscribed");
    }
  }

  @Test
  void hostileKidValuesAreRefusedWithoutHarm() throws Exception {
    List<Object> kids = List.of("../../../../etc/passwd", "' OR '1'='1", "k-a\u0000k-b", "x".repeat(1500), 42,
        new JsonObject().put("kid", "k-a"), new JsonArray().add("k-a"));
    for (Object kid : kids) {
      JsonObject h = header("RS256").put("kid", kid);
      // signed by an outsider: refused whatever the kid says
      KeyPair outsider = KeyPairGenerator.getInstance("RSA").generateKeyPair();
      refused(rs256(h, claims(JWKS_A, "mallory", 600), outsider.getPrivate()));
    }
  }

  // ---- one app's credentials on another ----

  @Test
  void oneAppsCredentialsDoNotWorkOnAnother() throws Exception {
    String app200 = new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET).hs256(claims(TestNode.OTHER_APP, "scott", 600));
    // ?app=100 beside an app-200 token: the token decides, and it is an app-200 identity
    try (WsClient c = WsClient.open(vertx, node.wsUrl("app=100&token=" + app200))) {
      c.subscribe("public/room");
      Http.post(node.httpBase() + "/api/v1/apps/100/publish", TestNode.API_KEY, "{\"channel\":\"public/room\",\"data\":1}");
      assertThat(c.drain(300)).noneMatch(f -> "message".equals(f.getString("type")));
      // refreshing with a token of the other app (same user name) is refused
      c.send(new JsonObject().put("type", "auth").put("id", 7).put("token", node.jwt.hs256(claims(TestNode.APP, "scott", 600))));
      assertThat(c.replyTo(7).getString("code")).isEqualTo("forbidden");
    }
    // HTTP: app 200's JWT and app 200's API key on app 100's endpoints
    String url = node.httpBase() + "/api/v1/apps/100/publish";
    Http.Response jwt = Http.post(url, app200, "{\"channel\":\"a\",\"data\":1}");
    assertThat(jwt.status()).isEqualTo(401);
    assertThat(jwt.json().getJsonObject("error").getString("message")).contains("another app");
    assertThat(Http.post(url, "other-api-key-0123456789", "{\"channel\":\"a\",\"data\":1}").status()).isEqualTo(401);
    assertThat(Http.get(node.httpBase() + "/api/v1/apps/100/channels", "other-api-key-0123456789").status()).isEqualTo(401);
  }

  // ---- expiry ----

  @Test
  void refreshCannotRescueAnExpiringConnectionWithABadTokenAndAShorterTokenShortensIt() throws Exception {
    try (WsClient c = accepted(node.jwt.hs256(claims(TestNode.APP, "scott", 2)))) {
      // an expired refresh is refused; the connection keeps its own expiry and is closed at it
      c.send(new JsonObject().put("type", "auth").put("id", 1).put("token", node.jwt.hs256(claims(TestNode.APP, "scott", -10))));
      assertThat(c.replyTo(1).getString("code")).isEqualTo("unauthorized");
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
      assertThat(c.ws.closeReason()).contains("expired");
    }
    try (WsClient c = accepted(node.jwt.hs256(claims(TestNode.APP, "scott", 3600)))) {
      c.send(new JsonObject().put("type", "auth").put("id", 2).put("token", node.jwt.hs256(claims(TestNode.APP, "scott", 2))));
      assertThat(c.replyTo(2).getString("type")).isEqualTo("welcome");
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
  }

  @Test
  void anExpirySoFarAwayThatItOverflowsIsNeverReadAsEverlasting() throws Exception {
    // exp * 1000 does not fit a long: fail safe, the connection is treated as expired at once
    for (long exp : new long[] {9_300_000_000_000_000L, 18_446_745_773_709_551L}) {
      try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + node.jwt.hs256(claims(TestNode.APP, "scott", 0).put("exp", exp)), null)) {
        RawWs.Frame f = ws.read();
        while (f != null && f.opcode() != RawWs.CLOSE) {
          f = ws.read();
        }
        assertThat(f).isNotNull();
        assertThat(f.closeCode()).isEqualTo(1008);
        assertThat(f.closeReason()).contains("expired");
      }
    }
  }

  // ---- grants ----

  private WsClient user(String sub, JsonArray subCh, JsonArray pubCh) {
    String t = node.jwt.hs256(new JsonObject().put("sub", sub).put("app", TestNode.APP)
        .put("exp", System.currentTimeMillis() / 1000 + 600).put("sub_ch", subCh).put("pub_ch", pubCh));
    return accepted(t);
  }

  private static String code(JsonObject reply) {
    return reply.getString("type").equals("error") ? reply.getString("code") : reply.getString("type");
  }

  @Test
  void subjectTricksInGrantsWidenNothing() {
    JsonArray userSub = new JsonArray().add("user/{sub}");
    record Case(String sub, String channel, String expected) {}
    List<Case> cases = List.of(
        new Case("x/y", "user/x/y", "forbidden"),          // a subject with '/' makes the pattern grant nothing
        new Case("x/y", "user/x", "forbidden"),
        new Case("..", "user/..", "subscribed"),           // '..' is an ordinary segment, nothing more
        new Case("..", "admin", "forbidden"),
        new Case("..", "user/../admin", "forbidden"),
        new Case("*", "user/anything", "forbidden"),       // a subject '*' is not a wildcard
        new Case("*", "user/*", "bad_request"),
        new Case("**", "user/a/b", "forbidden"),
        new Case("a%2Fb", "user/a%2Fb", "bad_request"),    // not a channel name at all
        new Case("a%2Fb", "user/a/b", "forbidden"),
        new Case("scott/", "user/scott", "forbidden"),
        new Case("SCOTT", "user/scott", "forbidden"),      // case-sensitive
        new Case("SCOTT", "user/SCOTT", "subscribed"),
        new Case("\u0455cott", "user/scott", "forbidden"), // a Cyrillic look-alike is not a segment
        new Case("sc\tott", "user/sc", "forbidden"));
    for (Case k : cases) {
      try (WsClient c = user(k.sub, userSub, new JsonArray())) {
        assertThat(code(c.subscribe(k.channel))).as(k.toString()).isEqualTo(k.expected);
      }
    }
  }

  @Test
  void malformedPatternsGrantNothingAndNamesAreNotPaths() {
    JsonArray patterns = new JsonArray().add("chat/").add("a/**/b").add("user-{sub}").add("dash*").add("x//y")
        .add("").add(1).addNull().add(new JsonObject()).add(new JsonArray().add("**")).add("/docs/*");
    try (WsClient c = user("scott", patterns, new JsonArray())) {
      for (String ch : List.of("chat/room", "a/x/b", "user-scott", "dashboard", "x/y", "anything")) {
        assertThat(code(c.subscribe(ch))).as(ch).isEqualTo("forbidden");
      }
      assertThat(code(c.subscribe("/docs/readme"))).isEqualTo("subscribed"); // a leading '/' is dropped, on both sides
      assertThat(code(c.subscribe("docs/a/b"))).isEqualTo("forbidden");
      assertThat(code(c.subscribe("docs/../admin"))).isEqualTo("forbidden");
      assertThat(code(c.subscribe("docs/%2E%2E"))).isEqualTo("bad_request");
      assertThat(code(c.subscribe("//docs/x"))).isEqualTo("bad_request");
      assertThat(code(c.subscribe("docs/x/"))).isEqualTo("bad_request");
      assertThat(code(c.subscribe("DOCS/x"))).isEqualTo("forbidden");
    }
  }

  @Test
  void publishingNeedsAPublishGrantWhateverTheSubscribeGrants() {
    try (WsClient c = user("reader", new JsonArray().add("**"), new JsonArray().add("chat/**"))) {
      assertThat(code(c.publish("dashboard/1", 1))).isEqualTo("forbidden");
      assertThat(code(c.publish("chat/room", 1))).isEqualTo("ack");
    }
    String readOnly = node.jwt.hs256(new JsonObject().put("sub", "reader").put("app", TestNode.APP)
        .put("exp", System.currentTimeMillis() / 1000 + 600).put("sub_ch", new JsonArray().add("**")));
    String url = node.httpBase() + "/api/v1/apps/100/publish";
    assertThat(Http.post(url, readOnly, "{\"channel\":\"a\",\"data\":1}").status()).isEqualTo(403);
    String chatOnly = node.jwt.hs256(new JsonObject().put("sub", "w").put("app", TestNode.APP)
        .put("exp", System.currentTimeMillis() / 1000 + 600).put("pub_ch", new JsonArray().add("chat/**")));
    long before = Http.get(node.httpBase() + "/api/v1/apps/100/history?channel=chat/mixed", TestNode.API_KEY).json().getLong("offset");
    Http.Response mixed = Http.post(url, chatOnly,
        "{\"messages\":[{\"channel\":\"chat/mixed\",\"data\":1},{\"channel\":\"admin/x\",\"data\":2}]}");
    assertThat(mixed.status()).isEqualTo(403);
    assertThat(Http.get(node.httpBase() + "/api/v1/apps/100/history?channel=chat/mixed", TestNode.API_KEY).json()
        .getLong("offset")).isEqualTo(before);
    // anonymous sockets never publish, even to their readable channels
    try (WsClient anon = WsClient.open(vertx, node.wsUrl("app=100"))) {
      assertThat(code(anon.publish("public/room", 1))).isEqualTo("forbidden");
    }
  }

  // ---- HTTP API keys ----

  @Test
  void apiKeysWrongMissingNearMissOrMisplacedAreRefused() {
    String url = node.httpBase() + "/api/v1/apps/100/channels";
    String key = TestNode.API_KEY;
    assertThat(Http.get(url, null).status()).isEqualTo(401);
    List<String> wrong = new ArrayList<>(List.of("", key.substring(0, key.length() - 1),
        key.substring(0, key.length() - 1) + (char) (key.charAt(key.length() - 1) + 1), key + "x", "x" + key,
        key.toUpperCase(), "other-api-key-0123456789", key.substring(0, 8)));
    for (String w : wrong) {
      assertThat(Http.get(url, w).status()).as(w).isEqualTo(401);
    }
    assertThat(status(url, "Basic " + key)).isEqualTo(401);
    assertThat(status(url, key)).isEqualTo(401);
    assertThat(status(url, "Bearer")).isEqualTo(401);
    assertThat(status(url + "?key=" + key, null)).isEqualTo(401);
    assertThat(status(url, "bearer " + key)).isEqualTo(200); // the scheme is case-insensitive
    assertThat(status(node.httpBase() + "/api/v1/jobs", "Bearer wrong-key-0123456789")).isEqualTo(401);
  }

  private static int status(String url, String authorization) {
    try {
      var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET();
      if (authorization != null) {
        b.header("Authorization", authorization);
      }
      return java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  // ---- cross-origin upgrades ----

  @Test
  void crossOriginUpgradesAreRefused() throws Exception {
    String t = node.token("scott");
    record Case(String origin, int status) {}
    List<Case> cases = List.of(
        new Case(null, 101),                                // no Origin: not a browser
        new Case("null", 403),                              // sandboxed iframe, file://, data: URL
        new Case("https://apex.example.com", 101),
        new Case("HTTPS://APEX.EXAMPLE.COM", 101),          // case-insensitive
        new Case("https://apex.example.com/", 403),         // browsers never send a path; refused
        new Case("https://apex.example.com.evil.net", 403),
        new Case("https://evil-apex.example.com", 403),
        new Case("https://apex.example.com@evil.net", 403),
        new Case("https://apex.example.com:8443", 403),     // another port
        new Case("http://apex.example.com", 403),           // another scheme
        new Case("http://localhost:3000", 101),             // http://localhost:* allows any port
        new Case("http://localhost", 101),
        new Case("http://localhost.evil.net", 403),
        new Case("http://localhost:3000.evil.net", 403),
        new Case("http://localhost:abc", 403),
        new Case("http://evil.net/http://localhost:3000", 403),
        new Case("", 403));
    for (Case k : cases) {
      try (RawWs ws = RawWs.connect(node.port(), "/ws?token=" + t, k.origin)) {
        assertThat(ws.status).as(String.valueOf(k.origin)).isEqualTo(k.status);
      }
    }
    // anonymous and first-frame connections check the Origin too
    try (RawWs ws = RawWs.connect(node.port(), "/ws?app=100", "null")) {
      assertThat(ws.status).isEqualTo(403);
    }
    try (RawWs ws = RawWs.connect(node.port(), "/ws", "https://apex.example.com.evil.net")) {
      assertThat(ws.status).isEqualTo(403);
    }
  }

  // ---- logs ----

  @Test
  void tokensAndKeysNeverReachTheLogs() throws Exception {
    String good = node.token("logged");
    String bad = node.jwt.hs256(claims(TestNode.APP, "logged", -100));
    try (WsClient c = accepted(good)) {
      c.subscribe("a");
    }
    refused(bad);
    Http.get(node.httpBase() + "/api/v1/apps/100/channels", TestNode.API_KEY);
    Http.get(node.httpBase() + "/api/v1/apps/100/channels?token=" + good, "wrong-key-0123456789");
    for (String secret : List.of(good, bad, good.split("\\.")[2], TestNode.API_KEY, TestNode.SECRET)) {
      assertThat(logs.lines(secret)).isEmpty();
    }
    assertThat(logs.suspicious()).isEmpty();
  }
}
