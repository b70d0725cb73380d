package dev.apexpulse.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Overrides configuration values from PULSE_* environment variables. Every leaf key already in the
 * configuration has a variable named after its path ({@code limits.maxFrameBytes} →
 * {@code PULSE_LIMITS_MAX_FRAME_BYTES}); apps use {@code PULSE_APP_<ID>_<FIELD>} and may be declared
 * by the environment alone. Deriving names from the tree keeps every key overridable without a list
 * that could fall out of date.
 */
public final class EnvOverlay {
  private static final List<String> APP_FIELDS = List.of(
      "secretFile", "apiKeyFile", "secret", "apiKey", "name", "origins", "anonymous", "presenceEvents", "delta");

  private EnvOverlay() {}

  public static JsonObject apply(JsonObject config, Map<String, String> env) {
    JsonObject out = config.copy();
    Map<String, String> pulse = new TreeMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith("PULSE_")) {
        pulse.put(k, v);
      }
    });
    overlayLeaves(out, "PULSE", pulse, "apps");
    overlayApps(out, pulse);
    return out;
  }

  private static void overlayLeaves(JsonObject node, String envPrefix, Map<String, String> env, String skip) {
    for (String key : List.copyOf(node.fieldNames())) {
      if (key.equals(skip)) {
        continue;
      }
      String name = envPrefix + "_" + snake(key);
      Object value = node.getValue(key);
      if (value instanceof JsonObject child) {
        overlayLeaves(child, name, env, null);
      } else if (env.containsKey(name)) {
        node.put(key, coerce(env.get(name), value));
      }
    }
  }

  private static void overlayApps(JsonObject config, Map<String, String> env) {
    JsonObject apps = config.getJsonObject("apps");
    if (apps == null) {
      apps = new JsonObject();
      config.put("apps", apps);
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!e.getKey().startsWith("PULSE_APP_")) {
        continue;
      }
      String rest = e.getKey().substring("PULSE_APP_".length());
      for (String field : APP_FIELDS) {
        String suffix = "_" + snake(field);
        if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
          String envId = rest.substring(0, rest.length() - suffix.length());
          String id = findApp(apps, envId);
          JsonObject app = apps.getJsonObject(id);
          if (app == null) {
            app = new JsonObject();
            apps.put(id, app);
          }
          app.put(field, coerce(e.getValue(), app.getValue(field)));
          break;
        }
      }
    }
  }

  /** Env names are upper case and cannot hold '-': match them against the configured ids. */
  private static String findApp(JsonObject apps, String envId) {
    for (String id : apps.fieldNames()) {
      if (AppConfig.envId(id).equals(envId)) {
        return id;
      }
    }
    return envId;
  }

  private static Object coerce(String text, Object current) {
    if (current instanceof JsonArray) {
      JsonArray list = new JsonArray();
      for (String part : text.split(",")) {
        if (!part.isBlank()) {
          list.add(part.trim());
        }
      }
      return list;
    }
    // numbers and booleans stay strings here: ConfigReader parses them and names the key if wrong
    return text;
  }

  static String snake(String camel) {
    StringBuilder b = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('_');
      }
      b.append(c == '-' || c == '.' ? '_' : Character.toUpperCase(c));
    }
    return b.toString();
  }
}
