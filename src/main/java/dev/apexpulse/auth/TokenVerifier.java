package dev.apexpulse.auth;

import dev.apexpulse.config.AppConfig;
import dev.apexpulse.core.ChannelPattern;
import dev.apexpulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies JWTs against the keys of the app the token names. One JWTAuth per app, so a token signed
 * for app A never verifies against app B's keys; HS256 is checked only with the app's secret and
 * RS/ES algorithms only with its configured public keys (no algorithm confusion).
 */
public final class TokenVerifier {
  private static final int MAX_TOKEN_CHARS = 8192;

  private final Map<String, JWTAuth> byApp = new HashMap<>();
  private final PulseConfig config;

  public TokenVerifier(Vertx vertx, PulseConfig config) {
    this.config = config;
    for (AppConfig app : config.apps().values()) {
      JWTAuthOptions options = new JWTAuthOptions()
          .setJWTOptions(new JWTOptions().setLeeway(config.authLeewaySeconds()));
      if (!app.secret().isEmpty()) {
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(app.secret()));
      }
      for (AppConfig.PublicKey key : app.publicKeys()) {
        if (key.pem() != null) {
          options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(key.algorithm()).setBuffer(key.pem()));
        } else {
          JsonArray keys = key.jwks().getJsonArray("keys", new JsonArray().add(key.jwks()));
          for (int i = 0; i < keys.size(); i++) {
            options.addJwk(keys.getJsonObject(i));
          }
        }
      }
      byApp.put(app.id(), JWTAuth.create(vertx, options));
    }
  }

  /** Verifies a token; {@code expectedApp} (from a URL) must match its {@code app} claim when given. */
  public Future<Identity> verify(String token, String expectedApp) {
    try {
      JsonObject claims = peekClaims(token);
      String app = claims.getValue("app") instanceof String s ? s : null;
      if (app == null) {
        return Future.failedFuture(new AuthException("token has no app claim"));
      }
      if (expectedApp != null && !expectedApp.equals(app)) {
        return Future.failedFuture(new AuthException("token is for another app"));
      }
      JWTAuth auth = byApp.get(app);
      if (auth == null) {
        return Future.failedFuture(new AuthException("unknown app"));
      }
      // JWTAuth throws (not fails) on some null registered claims: refuse them first
      for (String claim : List.of("exp", "nbf", "iat")) {
        if (claims.containsKey(claim) && !(claims.getValue(claim) instanceof Number)) {
          return Future.failedFuture(new AuthException("token claim " + claim + " must be a number"));
        }
      }
      if (!(claims.getValue("exp") instanceof Number)) {
        return Future.failedFuture(new AuthException("token has no exp claim"));
      }
      if (!(claims.getValue("sub") instanceof String sub) || sub.isEmpty()) {
        return Future.failedFuture(new AuthException("token has no sub claim"));
      }
      return auth.authenticate(new TokenCredentials(token))
          .recover(e -> Future.failedFuture(new AuthException(reason(e, claims))))
          .map(user -> identity(app, claims));
    } catch (AuthException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(new AuthException("malformed token"));
    }
  }

  /** The claims were decoded from the same bytes the signature now covers, so they can be trusted. */
  private Identity identity(String app, JsonObject c) {
    String sub = c.getString("sub");
    long exp = c.getLong("exp") * 1000L;
    return new Identity(app, sub, c.getValue("name") instanceof String n ? n : null,
        exp + config.authLeewaySeconds() * 1000L,
        patterns(c.getValue("sub_ch"), sub), patterns(c.getValue("pub_ch"), sub),
        strings(c.getValue("trig")), false);
  }

  private static List<ChannelPattern> patterns(Object claim, String subject) {
    List<ChannelPattern> out = new ArrayList<>();
    for (String s : strings(claim)) {
      ChannelPattern p = ChannelPattern.compile(s, subject);
      if (p != null) {
        out.add(p);
      }
    }
    return List.copyOf(out);
  }

  private static List<String> strings(Object claim) {
    List<String> out = new ArrayList<>();
    if (claim instanceof String s) {
      out.add(s);
    } else if (claim instanceof JsonArray a) {
      for (Object o : a) {
        if (o instanceof String s) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /** Decodes the payload without verifying it, only to choose the app's keys. */
  private static JsonObject peekClaims(String token) {
    if (token == null || token.isEmpty()) {
      throw new AuthException("missing token");
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new AuthException("token too long");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw new AuthException("malformed token");
    }
    JsonObject header = new JsonObject(Buffer.buffer(Base64.getUrlDecoder().decode(parts[0])));
    String alg = header.getValue("alg") instanceof String a ? a : "";
    if (alg.isEmpty() || alg.equalsIgnoreCase("none") || parts[2].isEmpty()) {
      throw new AuthException("token algorithm not allowed: tokens must be signed");
    }
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
  }

  private String reason(Throwable e, JsonObject claims) {
    String m = String.valueOf(e.getMessage()).toLowerCase();
    long now = System.currentTimeMillis() / 1000;
    if (claims.getValue("nbf") instanceof Number nbf && nbf.longValue() > now + config.authLeewaySeconds()) {
      return "token not yet valid (nbf)";
    }
    if (claims.getValue("iat") instanceof Number iat && iat.longValue() > now + config.authLeewaySeconds()) {
      return "token issued in the future (iat): check the clocks";
    }
    if (m.contains("expired")) {
      return "token expired";
    }
    if (m.contains("signature") || m.contains("key") || m.contains("algorithm")) {
      return "token signature invalid";
    }
    return "token invalid";
  }
}
