package dev.apexpulse.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Compares API keys in constant time, so response timing does not reveal a key prefix. */
public final class ApiKeys {
  private ApiKeys() {}

  public static boolean matches(String configured, String presented) {
    if (configured == null || configured.isEmpty() || presented == null) {
      return false;
    }
    return MessageDigest.isEqual(sha256(configured), sha256(presented));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
