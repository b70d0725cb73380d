package dev.apexpulse.admin;

import dev.apexpulse.auth.ApiKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may use the operator console: the admin key itself, or tokens the node mints from it.
 *
 * <ul>
 *   <li>a <b>session</b> token ({@value #SESSION_HOURS} h), handed out by {@code POST /api/v1/admin/session}
 *   for the admin key, is what the page keeps (in sessionStorage) instead of the key, and presents as
 *   {@code Authorization: Bearer} to the admin API;</li>
 *   <li>a <b>ticket</b> ({@value #TICKET_SECONDS} s), handed out by {@code POST /api/v1/admin/ticket},
 *   opens one console socket ({@code /console/ws?token=<ticket>}): the only admin credential that ever
 *   travels in a URL, short-lived and worth nothing but a read-only console socket.</li>
 * </ul>
 *
 * Both are HS256 JWTs (vertx-auth-jwt) for the audience {@value #AUDIENCE}, with {@code typ} (session or
 * ticket), {@code op} (operator name) and {@code sid} (session id) claims, tickets also {@code sexp} (the
 * session's end). They are signed with a key derived from the admin key, so every node with the same
 * admin key accepts them, changing the key ends every session, and no app token (signed with an app
 * secret) verifies as one.
 */
public final class AdminAccess {
  /** The app of console sockets as the console lists them; app ids starting with "__" are refused in configuration. */
  public static final String APP = "__admin";
  public static final int SESSION_HOURS = 8;
  public static final int TICKET_SECONDS = 60;
  static final String AUDIENCE = "apex-pulse-console";
  private static final String SESSION = "session";
  private static final String TICKET = "ticket";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String key;
  private final JWTAuth jwt;

  /** What a valid token says: the operator's name, the session and when it ends. */
  public record Grant(String operator, String session, long expiresAtMillis) {}

  public AdminAccess(Vertx vertx, String key) {
    this.key = key;
    byte[] signingKey = hmac(key.getBytes(StandardCharsets.UTF_8), "apex-pulse admin tokens v2".getBytes(StandardCharsets.UTF_8));
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(Buffer.buffer(signingKey)))
        .setJWTOptions(new JWTOptions().setAudience(List.of(AUDIENCE))));
  }

  /** Constant-time comparison with the admin key. */
  public boolean isKey(String presented) {
    return ApiKeys.matches(key, presented);
  }

  /** A new session for an operator (name cleaned up, "operator" when empty). */
  public String session(String operator, long nowMillis) {
    String sid = HexFormat.of().formatHex(randomBytes(8));
    return sign(new JsonObject().put("typ", SESSION).put("op", operatorName(operator)).put("sid", sid),
        nowMillis + SESSION_HOURS * 3600_000L);
  }

  /** A ticket that opens one console socket, for the holder of a valid session. */
  public String ticket(Grant session, long nowMillis) {
    return sign(new JsonObject().put("typ", TICKET).put("op", session.operator()).put("sid", session.session())
        .put("sexp", session.expiresAtMillis() / 1000), Math.min(nowMillis + TICKET_SECONDS * 1000L, session.expiresAtMillis()));
  }

  /** The session a token stands for; fails when it is not a valid, unexpired session token. */
  public Future<Grant> verifySession(String token) {
    return verify(token, SESSION).map(p -> new Grant(p.getString("op"), p.getString("sid"), p.getLong("exp") * 1000));
  }

  /** The console session a ticket opens a socket for (valid until that session ends); fails when invalid. */
  public Future<Grant> verifyTicket(String token) {
    return verify(token, TICKET).compose(p -> p.getValue("sexp") instanceof Number sexp
        ? Future.succeededFuture(new Grant(p.getString("op"), p.getString("sid"), sexp.longValue() * 1000))
        : Future.failedFuture("ticket without a session end"));
  }

  private String sign(JsonObject claims, long expiresAtMillis) {
    claims.put("aud", AUDIENCE).put("exp", expiresAtMillis / 1000);
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }

  private Future<JsonObject> verify(String token, String type) {
    if (token == null || token.length() > 2048) {
      return Future.failedFuture("no token");
    }
    return jwt.authenticate(new TokenCredentials(token)).compose(user -> {
      // the verified claims, exp included (the principal leaves the registered ones out)
      JsonObject p = user.attributes().getJsonObject("accessToken");
      return type.equals(p.getString("typ")) && p.getValue("op") instanceof String && p.getValue("sid") instanceof String
          && p.getValue("exp") instanceof Number
          ? Future.succeededFuture(p) : Future.failedFuture("not a console " + type);
    });
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
