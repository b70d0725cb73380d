package dev.apexpulse.auth;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The token the PL/SQL kit signs (apex/sql/auth_pkg, TOKEN FORMAT in auth_pkg.pks) is accepted by the
 * gateway. No Oracle database runs here, so the proof goes both ways through the known-answer vector
 * apex/test-plsql/token-vector.json (written by the PL/SQL kit's own tests from a line-by-line copy of
 * auth_pkg): this test rebuilds the signing input from the vector's PL/SQL inputs following the
 * documented format (not the JavaScript copy), checks it byte for byte, then presents the vector's
 * token to a real node configured with the vector's secret.
 */
@Timeout(60)
class PlsqlTokenTest {
  private static final Path VECTOR = Path.of("apex", "test-plsql", "token-vector.json");
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  static JsonObject vector;
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    vector = new JsonObject(Files.readString(VECTOR, StandardCharsets.UTF_8));
    JsonObject config = TestNode.config();
    String app = vector.getJsonObject("inputs").getString("p_app_id");
    config.getJsonObject("apps").put(app, new JsonObject()
        .put("secret", vector.getString("secret"))
        .put("apiKey", "plsql-vector-api-key-0123456789")
        .put("origins", new JsonArray().add("http://localhost:*"))
        .put("presenceEvents", true));
    // the vector's trig claim is ["ticker","report-*"]: the first two may be run, "cleanup" not
    JsonArray jobs = new JsonArray();
    for (String job : List.of("ticker", "report-daily", "cleanup")) {
      jobs.add(new JsonObject().put("name", job).put("app", app).put("channel", "jobs/" + job).put("every", "1h")
          .put("triggerable", true));
    }
    config.put("jobs", jobs);
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  // ---- auth_pkg, as its TOKEN FORMAT section documents it

  /** json_string: backslash, quote, \b \f \n \r \t, other controls as backslash-u00xx (lower-case hex), the rest as is. */
  static String jsonString(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : (value == null ? "" : value).toCharArray()) {
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** json_string_array: split on ',', trim space/tab/CR/LF, drop empty items, keep order. */
  static String jsonStringArray(String csv) {
    List<String> items = new ArrayList<>();
    for (String item : csv.split(",", -1)) {
      String t = item.replaceAll("^[ \\t\\r\\n]+|[ \\t\\r\\n]+$", "");
      if (!t.isEmpty()) {
        items.add(jsonString(t));
      }
    }
    return "[" + String.join(",", items) + "]";
  }

  static boolean absent(String s) {
    return s == null || s.isEmpty(); // Oracle: '' is null
  }

  /** build_payload: sub, app, iat, exp, [name], [sub_ch], [pub_ch], [trig]; compact, in exactly this order. */
  static String buildPayload(String app, String user, long iat, long exp, String subCh, String pubCh, String name,
      String trigCh) {
    StringBuilder json = new StringBuilder()
        .append("{\"sub\":").append(jsonString(user))
        .append(",\"app\":").append(jsonString(app))
        .append(",\"iat\":").append(iat)
        .append(",\"exp\":").append(exp);
    if (!absent(name)) {
      json.append(",\"name\":").append(jsonString(name));
    }
    if (!absent(subCh)) {
      json.append(",\"sub_ch\":").append(jsonStringArray(subCh));
    }
    if (!absent(pubCh)) {
      json.append(",\"pub_ch\":").append(jsonStringArray(pubCh));
    }
    if (!absent(trigCh)) {
      json.append(",\"trig\":").append(jsonStringArray(trigCh));
    }
    return json.append('}').toString();
  }

  static String base64url(byte[] bytes) {
    return B64URL.encodeToString(bytes);
  }

  static String signingInput(String payload) {
    return base64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + base64url(payload.getBytes(StandardCharsets.UTF_8));
  }

  static String hmac(String input, String secret) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return base64url(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
  }

  /** The vector's token rebuilt from its generate_token inputs. */
  static String[] rebuild() throws Exception {
    JsonObject in = vector.getJsonObject("inputs");
    long iat = in.getLong("p_iat");
    String payload = buildPayload(in.getString("p_app_id"), in.getString("p_user"), iat, iat + in.getLong("p_ttl_seconds"),
        in.getString("p_sub_ch"), in.getString("p_pub_ch"), in.getString("p_name"), in.getString("p_trig_ch"));
    String input = signingInput(payload);
    return new String[] {payload, input, input + "." + hmac(input, in.getString("p_secret"))};
  }

  // ---- the format

  @Test
  void signingInputRebuiltFromTheDocumentedFormatMatchesTheVector() throws Exception {
    String[] rebuilt = rebuild();
    assertThat(rebuilt[0]).isEqualTo(vector.getString("payload"));
    assertThat(rebuilt[1]).isEqualTo(vector.getString("signingInput"));
    assertThat(rebuilt[1]).startsWith("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
    assertThat(rebuilt[2]).isEqualTo(vector.getString("token"));
    assertThat(rebuilt[2]).endsWith("." + vector.getString("signature"));
    assertThat(vector.getString("secret")).isEqualTo(vector.getJsonObject("inputs").getString("p_secret"));
  }

  @Test
  void vectorCoversTheTrickyParts() {
    // a non-ASCII character and an escaped quote in name, a list with a space and {sub}: the parts
    // where a different JSON encoder would produce other bytes
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(vector.getString("token").split("\\.")[1]),
        StandardCharsets.UTF_8));
    assertThat(claims.getString("name")).isEqualTo("Scött \"Tiger\"");
    assertThat(claims.fieldNames()).containsExactly("sub", "app", "iat", "exp", "name", "sub_ch", "pub_ch", "trig");
    assertThat(claims.getLong("iat")).isEqualTo(1_700_000_000L);
    assertThat(claims.getLong("exp")).isEqualTo(3_800_000_000L); // in 2090
    assertThat(claims.getJsonArray("sub_ch")).containsExactly("dashboard/**", "user/{sub}");
    assertThat(claims.getJsonArray("trig")).containsExactly("ticker", "report-*");
    assertThat(claims).isEqualTo(vector.getJsonObject("claims"));
  }

  @Test
  void escapingAgreesWithTheDocumentedRules() {
    assertThat(jsonString("a\\b\"c\u0001\u001f\u007fé\n")).isEqualTo("\"a\\\\b\\\"c\\u0001\\u001f\u007fé\\n\"");
    assertThat(jsonStringArray(" a ,, \tb\r\n,")).isEqualTo("[\"a\",\"b\"]");
    assertThat(jsonStringArray(" , ")).isEqualTo("[]");
    assertThat(buildPayload("100", "U", 1, 2, "", null, "", "")).isEqualTo("{\"sub\":\"U\",\"app\":\"100\",\"iat\":1,\"exp\":2}");
  }

  // ---- the gateway accepts it

  private String appId() {
    return vector.getJsonObject("inputs").getString("p_app_id");
  }

  @Test
  void gatewayAcceptsTheTokenAndItsGrants() {
    String token = vector.getString("token");
    try (WsClient c = WsClient.connect(vertx, node.wsUrl("token=" + token))) {
      assertThat(c.next("welcome").getString("connection")).isNotEmpty();
      // sub_ch: dashboard/** and user/{sub} with sub = SCOTT
      assertThat(c.subscribe("dashboard/department/3").getString("type")).isEqualTo("subscribed");
      assertThat(c.subscribe("dashboard/a/b/c").getString("type")).isEqualTo("subscribed");
      assertThat(c.subscribe("user/SCOTT").getString("type")).isEqualTo("subscribed");
      JsonObject other = c.subscribe("user/ALICE");
      assertThat(other.getString("type")).isEqualTo("error");
      assertThat(other.getString("code")).isEqualTo("forbidden");
      assertThat(c.subscribe("chat/room/1").getString("code")).isEqualTo("forbidden");
      // pub_ch: chat/** only
      JsonObject ack = c.publish("chat/room/1", new JsonObject().put("text", "hi"));
      assertThat(ack.getString("type")).isEqualTo("ack");
      assertThat(c.publish("dashboard/department/3", new JsonObject()).getString("code")).isEqualTo("forbidden");
      // the name claim (non-ASCII, escaped quote) arrives intact
      JsonObject presence = c.request(new JsonObject().put("type", "presence").put("channel", "user/SCOTT"));
      assertThat(presence.getJsonArray("clients").getJsonObject(0))
          .isEqualTo(new JsonObject().put("user", "SCOTT").put("name", "Scött \"Tiger\""));
      // and a message published to the user's channel reaches it
      Http.Response r = Http.post(node.httpBase() + "/api/v1/apps/" + appId() + "/publish", "plsql-vector-api-key-0123456789",
          new JsonObject().put("channel", "user/SCOTT").put("data", new JsonObject().put("order", 1)).encode());
      assertThat(r.status()).isEqualTo(200);
      JsonObject m = c.next("message");
      assertThat(m.getString("channel")).isEqualTo("user/SCOTT");
      assertThat(m.getJsonObject("data")).isEqualTo(new JsonObject().put("order", 1));
    }
  }

  @Test
  void gatewayRunsTheJobsTheTrigClaimNames() {
    try (WsClient c = WsClient.connect(vertx, node.wsUrl("token=" + vector.getString("token")))) {
      c.next("welcome");
      for (String job : List.of("ticker", "report-daily")) { // "ticker" exactly, "report-*" as a glob
        JsonObject reply = c.request(new JsonObject().put("type", "trigger").put("job", job));
        assertThat(reply.getString("type")).as(job).isEqualTo("ack");
      }
      JsonObject refused = c.request(new JsonObject().put("type", "trigger").put("job", "cleanup"));
      assertThat(refused.getString("code")).isEqualTo("forbidden");
    }
  }

  @Test
  void httpApiAcceptsTheTokenWithTheSameGrants() {
    String token = vector.getString("token");
    String base = node.httpBase() + "/api/v1/apps/" + appId();
    assertThat(Http.get(base + "/history?channel=dashboard/x", token).status()).isEqualTo(200);
    assertThat(Http.get(base + "/history?channel=user/ALICE", token).status()).isEqualTo(403);
    assertThat(Http.post(base + "/publish", token, "{\"channel\":\"chat/room/9\",\"data\":{\"text\":\"hi\"}}").status())
        .isEqualTo(200);
  }

  @Test
  void aTokenWithOneChangedByteIsRefused() throws Exception {
    // the acceptance above is not vacuous: the same payload with another secret or another claim fails
    String[] rebuilt = rebuild();
    String forged = signingInput(rebuilt[0].replace("\"SCOTT\"", "\"ALICE\"")) + "." + rebuilt[2].split("\\.")[2];
    String otherSecret = rebuilt[1] + "." + hmac(rebuilt[1], vector.getString("secret") + "x");
    for (String bad : List.of(forged, otherSecret)) {
      try (WsClient c = WsClient.connect(vertx, node.wsUrl("token=" + bad))) {
        JsonObject error = c.next("error");
        assertThat(error.getString("code")).isEqualTo("unauthorized");
        assertThat(error.getString("message")).contains("signature");
        assertThat(c.awaitClose()).isEqualTo((short) 1008);
      }
    }
  }
}
