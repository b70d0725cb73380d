package dev.apexpulse.config;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.support.VertxTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** conf/pulse.yaml, PULSE_CONF and PULSE_* variables, and errors that name the key. */
class ConfigTest extends VertxTest {

  private static PulseConfig load(Map<String, String> env) throws Exception {
    return ConfigLoader.load(vertx, env).await(10, TimeUnit.SECONDS);
  }

  @Test
  void embeddedDefaultsDefineDevApp100WithGeneratedSecrets() throws Exception {
    PulseConfig c = load(Map.of());
    assertThat(c.mode()).isEqualTo(PulseConfig.Mode.DEV);
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.http().compression()).isFalse();
    assertThat(c.http().requestTimeoutSeconds()).isEqualTo(10);
    assertThat(c.http().idleTimeoutSeconds()).isEqualTo(120);
    assertThat(c.limits().maxFrameBytes()).isEqualTo(65536);
    assertThat(c.limits().maxSubscriptions()).isEqualTo(256);
    assertThat(c.history().size()).isEqualTo(100);
    assertThat(c.history().ttlSeconds()).isEqualTo(600);
    assertThat(c.idempotency().windowSeconds()).isEqualTo(300);
    assertThat(c.limits().historyRate()).isEqualTo(5);
    // the demo dashboard's channels show their last value at once
    assertThat(c.channelOptions(new dev.apexpulse.core.ChannelKey("100", "dashboard/orders")).cache()).isTrue();
    AppConfig app = c.app("100");
    assertThat(app.generated()).isTrue();
    assertThat(app.secret()).startsWith("dev-").hasSizeGreaterThan(32);
    assertThat(load(Map.of()).app("100").secret()).isNotEqualTo(app.secret());
    assertThat(app.toString()).doesNotContain(app.secret());
  }

  @Test
  void environmentOverridesEveryKey() throws Exception {
    PulseConfig c = load(Map.of(
        "PULSE_HTTP_PORT", "9090",
        "PULSE_HTTP_HOST", "127.0.0.1",
        "PULSE_LIMITS_MAX_FRAME_BYTES", "4096",
        "PULSE_APP_100_SECRET", "env-secret-0123456789-0123456789-0123",
        "PULSE_APP_100_API_KEY", "env-api-key-0123456789",
        "PULSE_APP_100_ORIGINS", "https://apex.example.com, https://apex2.example.com",
        "PULSE_APP_200_SECRET", "app-200-secret-0123456789-0123456789-01"));
    assertThat(c.http().port()).isEqualTo(9090);
    assertThat(c.http().host()).isEqualTo("127.0.0.1");
    assertThat(c.limits().maxFrameBytes()).isEqualTo(4096);
    AppConfig app = c.app("100");
    assertThat(app.generated()).isFalse();
    assertThat(app.secret()).isEqualTo("env-secret-0123456789-0123456789-0123");
    assertThat(app.apiKey()).isEqualTo("env-api-key-0123456789");
    assertThat(app.origins()).containsExactly("https://apex.example.com", "https://apex2.example.com");
    assertThat(c.app("200").secret()).isEqualTo("app-200-secret-0123456789-0123456789-01");
  }

  @Test
  void secretsCanComeFromFiles(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("secret");
    Files.writeString(secret, "file-secret-0123456789-0123456789-0123\n");
    PulseConfig c = load(Map.of("PULSE_APP_100_SECRET_FILE", secret.toString(), "PULSE_MODE", "production"));
    assertThat(c.app("100").secret()).isEqualTo("file-secret-0123456789-0123456789-0123");
  }

  @Test
  void pulseConfMergesAnotherFile(@TempDir Path dir) throws Exception {
    Path extra = dir.resolve("prod.yaml");
    Files.writeString(extra, "mode: production\nhttp:\n  port: 7070\napps:\n  \"100\":\n    secret: yaml-secret-0123456789-0123456789-012\n");
    PulseConfig c = load(Map.of("PULSE_CONF", extra.toString()));
    assertThat(c.mode()).isEqualTo(PulseConfig.Mode.PRODUCTION);
    assertThat(c.http().port()).isEqualTo(7070);
    assertThat(c.limits().maxSubscriptions()).isEqualTo(256);
    assertThatThrownBy(() -> load(Map.of("PULSE_CONF", dir.resolve("missing.yaml").toString())))
        .hasMessageContaining("PULSE_CONF");
  }

  @Test
  void badValuesFailNamingTheKey() {
    assertThatThrownBy(() -> load(Map.of("PULSE_HTTP_PORT", "eighty"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> load(Map.of("PULSE_HTTP_PORT", "70000"))).hasMessageContaining("http.port");
    assertThatThrownBy(() -> load(Map.of("PULSE_LIMITS_MAX_SUBSCRIPTIONS", "0"))).hasMessageContaining("limits.maxSubscriptions");
    assertThatThrownBy(() -> load(Map.of("PULSE_MODE", "staging"))).hasMessageContaining("mode");
    assertThatThrownBy(() -> load(Map.of("PULSE_APP_100_SECRET", "short"))).hasMessageContaining("apps.100.secret");
    assertThatThrownBy(() -> load(Map.of("PULSE_APP_100_ORIGINS", "apex.example.com"))).hasMessageContaining("apps.100.origins");
    assertThatThrownBy(() -> PulseConfig.from(new JsonObject().put("http", "8080"))).hasMessageContaining("http");
    assertThatThrownBy(() -> PulseConfig.from(new JsonObject().put("apps", new JsonObject().put("bad id!", new JsonObject()))))
        .hasMessageContaining("apps.bad id!");
  }

  @Test
  void anAppsChannelsAllowFossilDeltasOnlyWhenItSaysSo() throws Exception {
    ChannelKey key = new ChannelKey("100", "any/channel");
    assertThat(load(Map.of()).channelOptions(key).delta()).isFalse();
    assertThat(load(Map.of("PULSE_APP_100_DELTA", "fossil")).channelOptions(key).delta()).isTrue();
    assertThat(load(Map.of("PULSE_APP_100_DELTA", "none")).channelOptions(key).delta()).isFalse();
    assertThat(load(Map.of()).channelOptions(new ChannelKey("100", "dashboard/orders")).delta())
        .as("the demo app's dashboards").isTrue();
    assertThatThrownBy(() -> load(Map.of("PULSE_APP_100_DELTA", "xdelta"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("apps.100.delta").hasMessageContaining("'xdelta' is not a delta encoding: fossil or none");
  }

  @Test
  void productionModeRefusesToInventSecrets() {
    assertThatThrownBy(() -> load(Map.of("PULSE_MODE", "production")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("apps.100.secret")
        .hasMessageContaining("PULSE_APP_100_SECRET");
  }
}
