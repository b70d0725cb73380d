package dev.apexpulse.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Typed, validated access to one section of the raw configuration, naming the full key on error. */
final class ConfigReader {
  private final JsonObject json;
  private final String prefix;

  ConfigReader(JsonObject json, String prefix) {
    this.json = json == null ? new JsonObject() : json;
    this.prefix = prefix;
  }

  String key(String name) {
    return prefix.isEmpty() ? name : prefix + "." + name;
  }

  ConfigReader section(String name) {
    Object v = json.getValue(name);
    if (v != null && !(v instanceof JsonObject)) {
      throw new ConfigException(key(name), "expected a section (map), got " + describe(v));
    }
    return new ConfigReader((JsonObject) v, key(name));
  }

  JsonObject raw() {
    return json;
  }

  /** Refuses keys other than {@code names}: a typo must not be silently ignored. */
  void only(String... names) {
    for (String field : json.fieldNames()) {
      if (!java.util.Arrays.asList(names).contains(field)) {
        throw new ConfigException(key(field), "unknown key (known here: " + String.join(", ", names) + ")");
      }
    }
  }

  String string(String name, String def) {
    Object v = json.getValue(name);
    if (v == null) {
      return def;
    }
    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    throw new ConfigException(key(name), "expected a string, got " + describe(v));
  }

  int integer(String name, int def, int min, int max) {
    Object v = json.getValue(name);
    long value;
    if (v == null) {
      return def;
    } else if (v instanceof Number n && n.doubleValue() == n.longValue()) {
      value = n.longValue();
    } else if (v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
      value = Long.parseLong(s.trim());
    } else {
      throw new ConfigException(key(name), "expected an integer, got " + describe(v));
    }
    if (value < min || value > max) {
      throw new ConfigException(key(name), "must be between " + min + " and " + max + ", got " + value);
    }
    return (int) value;
  }

  boolean bool(String name, boolean def) {
    Object v = json.getValue(name);
    if (v == null) {
      return def;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw new ConfigException(key(name), "expected true or false, got " + describe(v));
  }

  List<String> strings(String name) {
    Object v = json.getValue(name);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (v instanceof String s) {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
      return out;
    }
    if (!(v instanceof JsonArray array)) {
      throw new ConfigException(key(name), "expected a list, got " + describe(v));
    }
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (!(item instanceof String s)) {
        throw new ConfigException(key(name) + "[" + i + "]", "expected a string, got " + describe(item));
      }
      out.add(s);
    }
    return out;
  }

  List<JsonObject> objects(String name) {
    Object v = json.getValue(name);
    List<JsonObject> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof JsonArray array)) {
      throw new ConfigException(key(name), "expected a list, got " + describe(v));
    }
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject o)) {
        throw new ConfigException(key(name) + "[" + i + "]", "expected a map, got " + describe(array.getValue(i)));
      }
      out.add(o);
    }
    return out;
  }

  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    String s = v instanceof String ? "'" + v + "'" : String.valueOf(v);
    return s.length() > 60 ? s.substring(0, 60) + "…" : s;
  }
}
