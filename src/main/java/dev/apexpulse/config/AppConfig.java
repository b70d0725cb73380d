package dev.apexpulse.config;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One APEX application: how its tokens are verified, who may call its HTTP API, which origins may
 * open sockets for it, which channels anyone may read, and the options of its channels.
 *
 * @param generated true when dev mode made up the secret and API key for this start
 */
public record AppConfig(
    String id,
    String name,
    String secret,
    String apiKey,
    List<PublicKey> publicKeys,
    List<String> origins,
    List<String> anonymous,
    boolean presenceEvents,
    ChannelRules channels,
    boolean generated) {

  /** An RS256/ES256 verification key: the text of a PEM public key or a JWKS document. */
  public record PublicKey(String algorithm, String pem, JsonObject jwks) {}

  private static final int MIN_SECRET_BYTES = 32;

  static AppConfig from(String id, ConfigReader app, PulseConfig.Mode mode, PulseConfig.HistorySettings history) {
    String secret = readSecret(app, "secret");
    String apiKey = readSecret(app, "apiKey");
    List<PublicKey> keys = app.objects("publicKeys").stream().map(k -> publicKey(app, k)).toList();
    boolean generated = false;
    if (secret.isEmpty() && keys.isEmpty()) {
      if (mode == PulseConfig.Mode.PRODUCTION) {
        throw new ConfigException(app.key("secret"),
            "app " + id + " has no token secret and no public keys (set PULSE_APP_" + envId(id) + "_SECRET)");
      }
      secret = "dev-" + PulseConfig.randomHex(24);
      generated = true;
    }
    if (!secret.isEmpty() && secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      throw new ConfigException(app.key("secret"), "an HS256 secret needs at least " + MIN_SECRET_BYTES + " bytes");
    }
    if (apiKey.isEmpty() && generated) {
      apiKey = "dev-key-" + PulseConfig.randomHex(16);
    }
    if (!apiKey.isEmpty() && apiKey.length() < 16) {
      throw new ConfigException(app.key("apiKey"), "an API key needs at least 16 characters");
    }
    List<String> origins = app.strings("origins");
    for (String origin : origins) {
      if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
        throw new ConfigException(app.key("origins"), "'" + origin + "' is not an origin like https://apex.example.com[:port]");
      }
    }
    boolean presenceEvents = app.bool("presenceEvents", true);
    boolean delta = ChannelRules.delta(app, false);
    return new AppConfig(id, app.string("name", id), secret, apiKey, keys, origins,
        app.strings("anonymous"), presenceEvents, ChannelRules.from(app, history, presenceEvents, delta), generated);
  }

  private static PublicKey publicKey(ConfigReader app, JsonObject k) {
    String key = app.key("publicKeys");
    String alg = k.getString("algorithm", "RS256");
    if (!List.of("RS256", "RS384", "RS512", "ES256", "ES384", "ES512").contains(alg)) {
      throw new ConfigException(key, "unsupported algorithm '" + alg + "' (RS256/384/512, ES256/384/512)");
    }
    String text = k.getString("pem");
    if (text == null) {
      String file = k.getString("file");
      if (file == null) {
        throw new ConfigException(key, "each key needs 'file' (PEM or JWKS) or 'pem'");
      }
      try {
        text = Files.readString(Path.of(file));
      } catch (Exception e) {
        throw new ConfigException(key, "cannot read " + file + ": " + e.getMessage());
      }
    }
    String trimmed = text.trim();
    if (trimmed.startsWith("{")) {
      try {
        return new PublicKey(alg, null, new JsonObject(trimmed));
      } catch (RuntimeException e) {
        throw new ConfigException(key, "not a JWKS document: " + e.getMessage());
      }
    }
    if (!trimmed.contains("-----BEGIN PUBLIC KEY-----")) {
      throw new ConfigException(key, "expected a PEM public key (BEGIN PUBLIC KEY) or a JWKS document");
    }
    return new PublicKey(alg, trimmed, null);
  }

  private static String readSecret(ConfigReader app, String name) {
    String file = app.string(name + "File", "");
    if (!file.isEmpty()) {
      try {
        return Files.readString(Path.of(file)).trim();
      } catch (Exception e) {
        throw new ConfigException(app.key(name + "File"), "cannot read " + file + ": " + e.getMessage());
      }
    }
    return app.string(name, "").trim();
  }

  static String envId(String id) {
    return id.toUpperCase().replace('-', '_');
  }

  @Override
  public String toString() {
    // never print secrets
    return "AppConfig[" + id + "]";
  }
}
