package dev.apexpulse.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The operator console's key ({@code admin.key}, {@code PULSE_ADMIN_KEY}, or {@code admin.keyFile}):
 * opens {@code /console} and {@code /api/v1/admin/…}. Never an app's API key or secret. Without one
 * the console is off (production) or, in dev mode, a key is generated for this start.
 *
 * @param key       empty when the console is off
 * @param generated true when dev mode made the key up for this start
 */
public record AdminSettings(String key, boolean generated) {
  public static final int MIN_KEY_LENGTH = 24;

  public boolean enabled() {
    return !key.isEmpty();
  }

  static AdminSettings from(ConfigReader admin, PulseConfig.Mode mode, Map<String, AppConfig> apps) {
    String key;
    String file = admin.string("keyFile", "").trim();
    if (!file.isEmpty()) {
      try {
        key = Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
      } catch (Exception e) {
        throw new ConfigException(admin.key("keyFile"), "cannot read " + file + ": " + e.getMessage());
      }
    } else {
      key = admin.string("key", "").trim();
    }
    String where = file.isEmpty() ? admin.key("key") : admin.key("keyFile");
    if (key.isEmpty()) {
      return mode == PulseConfig.Mode.DEV
          ? new AdminSettings("dev-admin-" + PulseConfig.randomHex(16), true)
          : new AdminSettings("", false);
    }
    if (key.length() < MIN_KEY_LENGTH) {
      throw new ConfigException(where, "the admin key needs at least " + MIN_KEY_LENGTH + " characters");
    }
    for (AppConfig app : apps.values()) {
      if (key.equals(app.apiKey()) || key.equals(app.secret())) {
        throw new ConfigException(where, "the admin key must not be an app's API key or secret (app " + app.id() + ")");
      }
    }
    return new AdminSettings(key, false);
  }

  @Override
  public String toString() {
    // never print the key
    return "AdminSettings[" + (enabled() ? "enabled" : "disabled") + (generated ? ", generated" : "") + "]";
  }
}
