package dev.apexpulse.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every knob of the simulations, read from system properties ({@code -DbaseUrl=…}); see
 * loadtest/README.md. Defaults are a small local run.
 */
final class Params {
  private Params() {}

  /** http(s)://host:port of the gateway; the WebSocket URL is derived from it (ws/wss + /ws). */
  static final String BASE_URL = str("baseUrl", "http://127.0.0.1:8080").replaceAll("/+$", "");
  static final String WS_URL = BASE_URL.replaceFirst("^http", "ws");
  static final String APP = str("app", "100");
  /** HS256 secret of the app: the simulations mint their own tokens with it. */
  static final String SECRET = str("secret", "");
  /** Or a file of ready tokens, one a line (used round-robin); wins over the secret. */
  static final String TOKEN_FILE = str("tokenFile", "");
  /** API key for HTTP publishes; without one the publisher uses a minted token with a pub_ch grant. */
  static final String API_KEY = str("apiKey", "");

  static final int USERS = integer("users", 100);
  static final Duration RAMP = Duration.ofSeconds(integer("ramp", 10));
  static final Duration DURATION = Duration.ofSeconds(integer("duration", 30));
  static final int CHANNELS = integer("channels", 10);
  /** DashboardFanout, ReconnectStorm: messages per second per channel. */
  static final double RATE = dbl("rate", 2);
  /** ChatRooms: seconds between two messages of one user. */
  static final double CHAT_EVERY = dbl("chatEvery", 2);
  /** ConnectStorm: seconds between protocol pings of a holding connection. */
  static final int PING_EVERY = integer("pingEvery", 10);
  /** ReconnectStorm: longest time a connection stays up, and how long it stays away. */
  static final double HOLD_MAX = dbl("holdMax", 3);
  static final double DOWNTIME = dbl("downtime", 1);

  /** Assertions: failed requests (percent) and 99th percentile of response times (ms). */
  static final double MAX_FAILED_PCT = dbl("maxFailedPct", 1);
  static final int P99_MS = integer("p99Ms", 1000);
  /** Channel names start with this, so runs do not see each other's history. */
  static final String PREFIX = str("prefix", "loadtest/r" + Long.toString(System.currentTimeMillis() / 1000, 36));

  private static List<String> tokens;

  static String str(String name, String def) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? def : v.trim();
  }

  static int integer(String name, int def) {
    return Integer.parseInt(str(name, Integer.toString(def)));
  }

  static double dbl(String name, double def) {
    return Double.parseDouble(str(name, Double.toString(def)));
  }

  /** A token for a virtual user: minted from the secret, or taken from the token file. */
  static String token(String user) {
    if (!TOKEN_FILE.isEmpty()) {
      return fromFile(user.hashCode());
    }
    if (SECRET.isEmpty()) {
      throw new IllegalStateException("set -Dsecret=<app HS256 secret> or -DtokenFile=<file of tokens>");
    }
    return Tokens.hs256(SECRET, APP, user, List.of("**"), List.of("**"), 3600 + RAMP.toSeconds() + 2 * DURATION.toSeconds());
  }

  /** Authorization for HTTP publishes: the API key, else a token that may publish everywhere. */
  static String publisherCredential() {
    return API_KEY.isEmpty() ? token("loadtest-publisher") : API_KEY;
  }

  private static synchronized String fromFile(int hash) {
    if (tokens == null) {
      try {
        tokens = Files.readAllLines(Path.of(TOKEN_FILE), StandardCharsets.UTF_8).stream()
            .map(String::trim).filter(s -> !s.isEmpty()).toList();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read tokenFile " + TOKEN_FILE, e);
      }
      if (tokens.isEmpty()) {
        throw new IllegalStateException("tokenFile " + TOKEN_FILE + " has no token");
      }
    }
    return tokens.get(Math.floorMod(hash, tokens.size()));
  }

  static String describe() {
    return "baseUrl=" + BASE_URL + " app=" + APP + " users=" + USERS + " ramp=" + RAMP.toSeconds() + "s duration="
        + DURATION.toSeconds() + "s channels=" + CHANNELS + " rate=" + RATE + " prefix=" + PREFIX
        + " auth=" + (TOKEN_FILE.isEmpty() ? "minted from secret" : "token file") + " maxFailedPct=" + MAX_FAILED_PCT
        + " p99Ms=" + P99_MS;
  }
}
