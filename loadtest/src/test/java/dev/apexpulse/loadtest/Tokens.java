package dev.apexpulse.loadtest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * HS256 tokens in the gateway's format (what the PL/SQL kit signs): header
 * {"alg":"HS256","typ":"JWT"}, claims sub, app, iat, exp, sub_ch, pub_ch.
 */
final class Tokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Tokens() {}

  static String hs256(String secret, String app, String user, List<String> sub, List<String> pub, long ttlSeconds) {
    long now = System.currentTimeMillis() / 1000;
    String claims = "{\"sub\":" + quote(user) + ",\"app\":" + quote(app) + ",\"iat\":" + now + ",\"exp\":" + (now + ttlSeconds)
        + ",\"sub_ch\":" + array(sub) + ",\"pub_ch\":" + array(pub) + "}";
    String input = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64(claims);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String array(List<String> items) {
    return items.stream().map(Tokens::quote).collect(Collectors.joining(",", "[", "]"));
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
