package dev.apexpulse.auth;

import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.LiveNodeTest;
import dev.apexpulse.support.RawWs;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token attacks against a live node: each refused token gets an {@code unauthorized} error frame
 * and the socket is closed with 1008, before any channel can be touched.
 */
@Timeout(60)
class TokenAttackTest extends LiveNodeTest {
  static KeyPair rsa;
  static KeyPair ec;
  static final String RSA_APP = "300";
  static final String EC_APP = "400";

  @BeforeAll
  static void start() throws Exception {
    KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA");
    rg.initialize(2048);
    rsa = rg.generateKeyPair();
    KeyPairGenerator eg = KeyPairGenerator.getInstance("EC");
    eg.initialize(new ECGenParameterSpec("secp256r1"));
    ec = eg.generateKeyPair();
    JsonObject config = TestNode.config();
    config.getJsonObject("apps")
        .put(RSA_APP, new JsonObject().put("publicKeys", new JsonArray().add(new JsonObject().put("algorithm", "RS256").put("pem", pem(rsa)))))
        .put(EC_APP, new JsonObject().put("publicKeys", new JsonArray().add(new JsonObject().put("algorithm", "ES256").put("pem", pem(ec)))));
    startNode(config);
  }


  private static String pem(KeyPair kp) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(kp.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  private static JsonObject claims(String app, String user, long ttl) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", user).put("app", app).put("iat", now).put("exp", now + ttl)
        .put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**"));
  }

  /** Asserts the token is refused both in the URL and in an auth frame. */
  private void refused(String token, String reasonPart) {
    refusedInUrl(token, reasonPart);
    refusedInFrame(token, reasonPart);
  }

  private void refusedInUrl(String token, String reasonPart) {
    // a raw client: the server answers and closes at once, faster than a library client attaches handlers
    try (RawWs raw = RawWs.connect(node.port(), "/ws?token=" + token, null)) {
      assertThat(raw.status).isEqualTo(101);
      JsonObject error = new JsonObject(raw.read().text());
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("code")).isEqualTo("unauthorized");
      assertThat(error.getString("message")).contains(reasonPart);
      assertThat(raw.awaitClose()).isEqualTo(1008);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private void refusedInFrame(String token, String reasonPart) {
    try (WsClient c = WsClient.connect(vertx, node.wsUrl(null))) {
      c.send(new JsonObject().put("type", "auth").put("token", token).put("id", 1));
      JsonObject error = c.next("error");
      assertThat(error.getString("code")).isEqualTo("unauthorized");
      assertThat(error.getLong("id")).isEqualTo(1);
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
    }
  }

  @Test
  void validHs256TokenInUrlAndInFirstFrame() {
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + node.token("scott")))) {
      assertThat(c.subscribe("a/b").getString("type")).isEqualTo("subscribed");
    }
    try (WsClient c = WsClient.connect(vertx, node.wsUrl(null))) {
      c.send(new JsonObject().put("type", "auth").put("token", node.token("scott")));
      c.next("welcome");
      assertThat(c.subscribe("a/b").getString("type")).isEqualTo("subscribed");
    }
  }

  @Test
  void algNoneIsRefused() {
    refused(Jwt.unsigned(claims(TestNode.APP, "mallory", 600)), "algorithm");
    JsonObject none = new JsonObject().put("alg", "none").put("typ", "JWT");
    refused(Jwt.b64(none.encode()) + "." + Jwt.b64(claims(TestNode.APP, "mallory", 600).encode()) + ".c2ln", "algorithm");
  }

  @Test
  void forgedSignatureIsRefused() {
    String good = node.token("scott");
    String forged = good.substring(0, good.lastIndexOf('.') + 1) + Jwt.b64("not the signature");
    refused(forged, "signature");
    // claims changed after signing
    String[] parts = good.split("\\.");
    String escalated = parts[0] + "." + Jwt.b64(claims(TestNode.APP, "admin", 600).encode()) + "." + parts[2];
    refused(escalated, "signature");
  }

  @Test
  void tokenSignedWithAnotherSecretIsRefused() {
    refused(new Jwt(TestNode.APP, "some-other-secret-that-is-long-enough-000").hs256(claims(TestNode.APP, "x", 600)), "signature");
  }

  @Test
  void expiredTokenIsRefused() {
    refused(node.jwt.hs256(claims(TestNode.APP, "scott", -5)), "expired");
  }

  @Test
  void notYetValidTokenIsRefused() {
    refused(node.jwt.hs256(claims(TestNode.APP, "scott", 600).put("nbf", System.currentTimeMillis() / 1000 + 300)), "not yet valid");
  }

  @Test
  void tokenIssuedInTheFutureIsRefusedNamingTheClock() {
    refused(node.jwt.hs256(claims(TestNode.APP, "scott", 600).put("iat", System.currentTimeMillis() / 1000 + 300)), "iat");
  }

  @Test
  void nullRegisteredClaimsAreRefusedNotCrashing() {
    refused(node.jwt.hs256(claims(TestNode.APP, "scott", 600).putNull("nbf")), "nbf");
    refused(node.jwt.hs256(claims(TestNode.APP, "scott", 600).put("exp", "tomorrow")), "exp");
    refused(node.jwt.hs256(claims(TestNode.APP, "scott", 600).putNull("sub")), "sub");
  }

  @Test
  void tokenForAnotherAppIsRefused() {
    // claims say app 200 but it is signed with app 100's secret: verified with app 200's key, fails
    refused(node.jwt.hs256(claims(TestNode.OTHER_APP, "scott", 600)), "signature");
    // a valid app-200 token is an app-200 identity: it cannot see app 100's channels (separate namespaces),
    // and the origin list of app 200 applies
    String other = new Jwt(TestNode.OTHER_APP, TestNode.OTHER_SECRET).hs256(claims(TestNode.OTHER_APP, "scott", 600));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + other))) {
      c.subscribe("shared/name");
      try (WsClient app100 = WsClient.open(vertx, node.wsUrl("token=" + node.token("p")))) {
        app100.publish("shared/name", "for app 100 only");
      }
      assertThat(c.drain(300)).noneMatch(f -> "message".equals(f.getString("type")));
    }
  }

  @Test
  void unknownAppIsRefused() {
    refused(new Jwt("999", TestNode.SECRET).hs256(claims("999", "scott", 600)), "unknown app");
  }

  @Test
  void malformedTokensAreRefused() {
    refused("not-a-jwt", "malformed");
    refused("a.b.c", "malformed");
    refused(Jwt.b64("{\"alg\":\"HS256\"}") + "." + Jwt.b64("[1,2]") + ".sig", "malformed");
    // (a URL that long is refused by the HTTP server itself with 414)
    refusedInFrame("x".repeat(9000), "too long");
  }

  @Test
  void rs256AndEs256TokensVerifyWithConfiguredPublicKeys() {
    String rsToken = Jwt.signed("RS256", rsa.getPrivate(), claims(RSA_APP, "scott", 600));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + rsToken))) {
      assertThat(c.subscribe("x").getString("type")).isEqualTo("subscribed");
    }
    String esToken = Jwt.signed("ES256", ec.getPrivate(), claims(EC_APP, "scott", 600));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + esToken))) {
      assertThat(c.subscribe("x").getString("type")).isEqualTo("subscribed");
    }
  }

  @Test
  void wrongKeyTypeAndAlgorithmConfusionAreRefused() {
    // HS256 token "signed" with the RSA public key bytes as HMAC secret: the classic alg confusion
    byte[] publicPem = pem(rsa).getBytes(StandardCharsets.UTF_8);
    String confused = Jwt.hs256(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims(RSA_APP, "mallory", 600), publicPem);
    refused(confused, "signature");
    // an ES256 token for the RS256 app, and an RS256 token signed by someone else's key
    refused(Jwt.signed("ES256", ec.getPrivate(), claims(RSA_APP, "mallory", 600)), "signature");
    refused(Jwt.signed("RS256", rsa.getPrivate(), claims(EC_APP, "mallory", 600)), "signature");
  }

  @Test
  void kidHeaderCannotSelectAnotherKey() {
    JsonObject header = new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", "../../app/200");
    String token = Jwt.hs256(header, claims(TestNode.APP, "mallory", 600), TestNode.OTHER_SECRET.getBytes(StandardCharsets.UTF_8));
    refused(token, "signature");
  }

  @Test
  void tokenExpiringWhileConnectedClosesWith1008UnlessRefreshed() {
    String shortLived = node.jwt.hs256(claims(TestNode.APP, "scott", 2));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + shortLived))) {
      c.subscribe("a");
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
      assertThat(c.ws.closeReason()).contains("expired");
    }
    String shortLived2 = node.jwt.hs256(claims(TestNode.APP, "scott", 2));
    try (WsClient c = WsClient.open(vertx, node.wsUrl("token=" + shortLived2))) {
      c.send(new JsonObject().put("type", "auth").put("id", 9).put("token", node.jwt.hs256(claims(TestNode.APP, "scott", 600))));
      assertThat(c.next("welcome").getLong("id")).isEqualTo(9);
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      assertThat(c.isClosed()).isFalse();
      assertThat(c.request(new JsonObject().put("type", "ping")).getString("type")).isEqualTo("pong");
      // a refresh for another user is refused and changes nothing
      c.send(new JsonObject().put("type", "auth").put("id", 10).put("token", node.jwt.hs256(claims(TestNode.APP, "king", 600))));
      assertThat(c.replyTo(10).getString("code")).isEqualTo("forbidden");
    }
  }

  @Test
  void requestsBeforeAuthAreUnauthorizedAndSilenceTimesOut() {
    try (WsClient c = WsClient.connect(vertx, node.wsUrl(null))) {
      JsonObject reply = c.request(new JsonObject().put("type", "subscribe").put("channel", "a"));
      assertThat(reply.getString("code")).isEqualTo("unauthorized");
      assertThat(c.awaitClose()).isEqualTo((short) 1008);
      assertThat(c.ws.closeReason()).contains("timeout");
    }
  }
}
