package dev.apexpulse.support;

import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;

/** Builds JWTs by hand, so tests can also build malformed, forged and confused ones. */
public final class Jwt {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final String app;
  private final String secret;

  public Jwt(String app, String secret) {
    this.app = app;
    this.secret = secret;
  }

  public JsonObject claims(String user, long ttlSeconds) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", user).put("app", app).put("iat", now).put("exp", now + ttlSeconds);
  }

  public String hs256(JsonObject claims) {
    return hs256(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims, secret.getBytes(StandardCharsets.UTF_8));
  }

  public static String hs256(JsonObject header, JsonObject claims, byte[] key) {
    String input = b64(header.encode()) + "." + b64(claims.encode());
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** RS256 or ES256 (JOSE signature format for ECDSA: r||s, not DER). */
  public static String signed(String alg, PrivateKey key, JsonObject claims) {
    String input = b64(new JsonObject().put("alg", alg).put("typ", "JWT").encode()) + "." + b64(claims.encode());
    try {
      Signature s = Signature.getInstance(alg.startsWith("RS") ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String unsigned(JsonObject claims) {
    return b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode()) + "." + b64(claims.encode()) + ".";
  }

  public static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
