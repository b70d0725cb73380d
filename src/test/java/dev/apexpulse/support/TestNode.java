package dev.apexpulse.support;

import dev.apexpulse.Node;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.engine.Engines;
import dev.apexpulse.engine.StandaloneEngines;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/** A real node on a random loopback port with a known secret and API key; close it after use. */
public final class TestNode implements AutoCloseable {
  public static final String APP = "100";
  public static final String SECRET = "test-secret-0123456789-0123456789-abcdef";
  public static final String API_KEY = "test-api-key-0123456789";
  public static final String OTHER_APP = "200";
  public static final String OTHER_SECRET = "other-secret-0123456789-0123456789-abcdef";

  public final Node node;
  public final Jwt jwt = new Jwt(APP, SECRET);

  private TestNode(Node node) {
    this.node = node;
  }

  /** Defaults for tests: loopback, port 0, production mode with fixed secrets for apps 100 and 200. */
  public static JsonObject config() {
    return new JsonObject()
        .put("mode", "production")
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("instances", 2).put("demo", true))
        .put("heartbeat", new JsonObject().put("intervalSeconds", 25))
        .put("auth", new JsonObject().put("leewaySeconds", 0).put("timeoutSeconds", 5))
        .put("apps", new JsonObject()
            .put(APP, new JsonObject().put("secret", SECRET).put("apiKey", API_KEY)
                .put("origins", new JsonArray().add("http://localhost:*").add("https://apex.example.com"))
                .put("anonymous", new JsonArray().add("public/**"))
                .put("presenceEvents", true))
            .put(OTHER_APP, new JsonObject().put("secret", OTHER_SECRET).put("apiKey", "other-api-key-0123456789")
                .put("origins", new JsonArray().add("https://other.example.com"))));
  }

  public static TestNode start() {
    return start(config());
  }

  public static TestNode start(JsonObject config) {
    return start(config, new StandaloneEngines());
  }

  public static TestNode start(JsonObject config, Engines engines) {
    try {
      return new TestNode(Node.start(PulseConfig.from(config), engines).await(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("node did not start", e);
    }
  }

  public int port() {
    return node.port();
  }

  public String wsUrl(String query) {
    return "ws://127.0.0.1:" + port() + "/ws" + (query == null ? "" : "?" + query);
  }

  public String httpBase() {
    return "http://127.0.0.1:" + port();
  }

  /** A token for app 100 with the given grants, valid for an hour. */
  public String token(String user, JsonArray sub, JsonArray pub) {
    return jwt.hs256(jwt.claims(user, 3600).put("sub_ch", sub).put("pub_ch", pub));
  }

  /** A token for app 100 that may subscribe and publish everywhere. */
  public String token(String user) {
    return token(user, new JsonArray().add("**"), new JsonArray().add("**"));
  }

  @Override
  public void close() {
    try {
      node.stop().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not stop", e);
    }
  }
}
