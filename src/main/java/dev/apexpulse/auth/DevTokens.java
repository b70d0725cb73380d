package dev.apexpulse.auth;

import dev.apexpulse.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.util.List;

/** Mints HS256 tokens the way the PL/SQL kit does: for dev mode, the demo page and tests. */
public final class DevTokens {
  private final JWTAuth signer;
  private final String app;

  public DevTokens(Vertx vertx, AppConfig app) {
    this.app = app.id();
    this.signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(app.secret())));
  }

  public String mint(String user, String name, List<String> subscribe, List<String> publish, int ttlSeconds) {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = new JsonObject().put("sub", user).put("app", app).put("iat", now).put("exp", now + ttlSeconds);
    if (name != null) {
      claims.put("name", name);
    }
    claims.put("sub_ch", new JsonArray(subscribe)).put("pub_ch", new JsonArray(publish)).put("trig", new JsonArray().add("*"));
    return signer.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }
}
