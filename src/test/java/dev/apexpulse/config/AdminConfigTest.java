package dev.apexpulse.config;

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

/** admin.key / PULSE_ADMIN_KEY / admin.keyFile: never an app's key, long enough, generated in dev mode only. */
class AdminConfigTest extends VertxTest {
  static final String KEY = "prod-admin-key-0123456789-abcdef";

  private static PulseConfig load(Map<String, String> env) throws Exception {
    return ConfigLoader.load(vertx, env).await(10, TimeUnit.SECONDS);
  }

  private static JsonObject production() {
    return new JsonObject().put("mode", "production").put("apps", new JsonObject().put("100",
        new JsonObject().put("secret", "s".repeat(40)).put("apiKey", "app-api-key-0123456789-abcdef")));
  }

  @Test
  void devModeGeneratesAKeyProductionLeavesTheConsoleOff() throws Exception {
    PulseConfig dev = load(Map.of());
    assertThat(dev.admin().enabled()).isTrue();
    assertThat(dev.admin().generated()).isTrue();
    assertThat(dev.admin().key()).startsWith("dev-admin-").hasSizeGreaterThanOrEqualTo(AdminSettings.MIN_KEY_LENGTH);
    assertThat(dev.admin().toString()).doesNotContain(dev.admin().key());

    PulseConfig prod = PulseConfig.from(production());
    assertThat(prod.admin().enabled()).isFalse();
  }

  @Test
  void fromTheEnvironmentOrAFile(@TempDir Path dir) throws Exception {
    PulseConfig c = load(Map.of("PULSE_ADMIN_KEY", KEY));
    assertThat(c.admin().key()).isEqualTo(KEY);
    assertThat(c.admin().generated()).isFalse();
    Path file = dir.resolve("admin.key");
    Files.writeString(file, KEY + "-from-file\n");
    assertThat(load(Map.of("PULSE_ADMIN_KEY_FILE", file.toString())).admin().key()).isEqualTo(KEY + "-from-file");
    assertThatThrownBy(() -> PulseConfig.from(production().put("admin", new JsonObject().put("keyFile", dir.resolve("nope").toString()))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("admin.keyFile");
  }

  @Test
  void refusesShortKeysAndAppKeysOrSecrets() {
    assertThatThrownBy(() -> PulseConfig.from(production().put("admin", new JsonObject().put("key", "short-key"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("admin.key").hasMessageContaining("24");
    assertThatThrownBy(() -> PulseConfig.from(production().put("admin", new JsonObject().put("key", "app-api-key-0123456789-abcdef"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("must not be an app's API key or secret (app 100)")
        .hasMessageNotContaining("app-api-key-0123456789-abcdef");
    assertThatThrownBy(() -> PulseConfig.from(production().put("admin", new JsonObject().put("key", "s".repeat(40)))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("app 100");
  }

  @Test
  void appIdsStartingWithTwoUnderscoresAreReserved() {
    JsonObject c = production();
    c.getJsonObject("apps").put("__admin", new JsonObject().put("secret", "t".repeat(40)));
    assertThatThrownBy(() -> PulseConfig.from(c)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("apps.__admin").hasMessageContaining("reserved");
  }
}
