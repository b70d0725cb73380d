package dev.apexpulse.admin;

import dev.apexpulse.auth.ApiKeys;
import dev.apexpulse.auth.ChannelPattern;
import dev.apexpulse.auth.Identity;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Who may use the operator console: the admin key itself, or tokens the node mints from it.
 *
 * <ul>
 *   <li>a <b>session</b> token ({@value #SESSION_HOURS} h), handed out by {@code POST /api/v1/admin/session}
 *   for the admin key, is what the page keeps (in sessionStorage) instead of the key, and presents as
 *   {@code Authorization: Bearer} to the admin API;</li>
 *   <li>a <b>ticket</b> ({@value #TICKET_SECONDS} s), handed out by {@code POST /api/v1/admin/ticket},
 *   opens one console WebSocket ({@code /ws?token=<ticket>}): the only admin credential that ever
 *   travels in a URL, short-lived and worth nothing but a read-only console socket.</li>
 * </ul>
 *
 * Both are {@code pa1.<payload>.<signature>}: base64url JSON ({@code typ}, {@code op} operator name,
 * {@code sid} session id, {@code exp}, for tickets {@code sexp} the session's end) signed with
 * HMAC-SHA256 under a key derived from the admin key, so every node with the same admin key accepts
 * them, and changing the key ends every session. They are not JWTs and no app token verifies as one;
 * a console socket belongs to the reserved app {@value #APP}, which no configured app may be called, so
 * an app token can never subscribe to the console channel.
 */
public final class AdminAccess {
  /** The app of console sockets; app ids starting with "__" are refused in configuration. */
  public static final String APP = "__admin";
  public static final String PREFIX = "pa1.";
  public static final int SESSION_HOURS = 8;
  public static final int TICKET_SECONDS = 60;
  private static final String SESSION = "session";
  private static final String TICKET = "ws";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String key;
  private final byte[] signingKey;

  /** What a valid token says: the operator's name, the session and when it ends. */
  public record Grant(String operator, String session, long expiresAtMillis) {}

  public AdminAccess(String key) {
    this.key = key;
    this.signingKey = hmac(key.getBytes(StandardCharsets.UTF_8), "apex-pulse admin tokens v1".getBytes(StandardCharsets.UTF_8));
  }

  /** Constant-time comparison with the admin key. */
  public boolean isKey(String presented) {
    return ApiKeys.matches(key, presented);
  }

  public static boolean looksLikeToken(String s) {
    return s != null && s.startsWith(PREFIX);
  }

  /** A new session for an operator (name cleaned up, "operator" when empty). */
  public String session(String operator, long nowMillis) {
    String sid = HexFormat.of().formatHex(randomBytes(8));
    return sign(new JsonObject().put("typ", SESSION).put("op", operatorName(operator)).put("sid", sid)
        .put("exp", nowMillis + SESSION_HOURS * 3600_000L));
  }

  /** A ticket that opens one console socket, for the holder of a valid session. */
  public String ticket(Grant session, long nowMillis) {
    return sign(new JsonObject().put("typ", TICKET).put("op", session.operator()).put("sid", session.session())
        .put("exp", Math.min(nowMillis + TICKET_SECONDS * 1000L, session.expiresAtMillis()))
        .put("sexp", session.expiresAtMillis()));
  }

  /** The session a token stands for, or null when it is not a valid, unexpired session token. */
  public Grant verifySession(String token, long nowMillis) {
    JsonObject p = verify(token, SESSION, nowMillis);
    return p == null ? null : new Grant(p.getString("op"), p.getString("sid"), p.getLong("exp"));
  }

  /** The socket identity a ticket opens (valid until its session ends), or null. */
  public Identity verifyTicket(String token, long nowMillis) {
    JsonObject p = verify(token, TICKET, nowMillis);
    if (p == null || !(p.getValue("sexp") instanceof Number sexp)) {
      return null;
    }
    return new Identity(APP, p.getString("op"), "session " + p.getString("sid"), sexp.longValue(),
        List.of(ChannelPattern.compile(ConsoleFeed.CHANNEL, null)), List.of(), List.of(), false);
  }

  private String sign(JsonObject payload) {
    String body = PREFIX + B64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8));
    return body + "." + B64.encodeToString(hmac(signingKey, body.getBytes(StandardCharsets.US_ASCII)));
  }

  private JsonObject verify(String token, String type, long nowMillis) {
    if (!looksLikeToken(token) || token.length() > 2048) {
      return null;
    }
    int dot = token.lastIndexOf('.');
    if (dot <= PREFIX.length()) {
      return null;
    }
    String body = token.substring(0, dot);
    byte[] sig;
    try {
      sig = B64D.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (!MessageDigest.isEqual(sig, hmac(signingKey, body.getBytes(StandardCharsets.US_ASCII)))) {
      return null;
    }
    JsonObject p;
    try {
      p = new JsonObject(new String(B64D.decode(body.substring(PREFIX.length())), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
    if (!type.equals(p.getString("typ")) || !(p.getValue("exp") instanceof Number exp) || exp.longValue() <= nowMillis
        || !(p.getValue("op") instanceof String) || !(p.getValue("sid") instanceof String)) {
      return null;
    }
    return p;
  }

  /** Letters, digits and {@code . _ @ -} and spaces, at most 40 characters. */
  public static String operatorName(String raw) {
    if (raw == null) {
      return "operator";
    }
    String s = raw.replaceAll("[^A-Za-z0-9 ._@-]", "").trim();
    if (s.length() > 40) {
      s = s.substring(0, 40).trim();
    }
    return s.isEmpty() ? "operator" : s;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "AdminAccess[…]";
  }
}
