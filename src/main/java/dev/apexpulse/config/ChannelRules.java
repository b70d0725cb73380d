package dev.apexpulse.config;

import dev.apexpulse.core.ChannelPattern;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The channel options of one app ({@code apps.<id>.channels}): a list of patterns, the first that
 * matches a channel gives its options, a channel that none matches has the defaults. Resolving is a few
 * segment comparisons without allocation, done when a channel is published to, subscribed to or asked
 * about, never per delivery.
 */
public final class ChannelRules {
  private static final String[] RULE_KEYS = {"pattern", "cache", "ephemeral", "history", "presence", "joinLeave", "delta"};

  /** One entry of the list: its pattern, its options, and the keys as configured (for display). */
  public record Rule(String pattern, ChannelPattern compiled, ChannelOptions options, JsonObject configured) {}

  private static final String FOSSIL = "fossil";
  private static final String NONE = "none";

  private final Rule[] rules;
  private final ChannelOptions defaults;

  private ChannelRules(Rule[] rules, ChannelOptions defaults) {
    this.rules = rules;
    this.defaults = defaults;
  }

  /** The options of a (normalised) channel name. */
  public ChannelOptions of(String channel) {
    for (Rule r : rules) {
      if (r.compiled.matches(channel)) {
        return r.options;
      }
    }
    return defaults;
  }

  public ChannelOptions defaults() {
    return defaults;
  }

  public List<Rule> rules() {
    return List.of(rules);
  }

  /** The configured list, in order, with the values as parsed. */
  public JsonArray configured() {
    JsonArray out = new JsonArray();
    for (Rule r : rules) {
      out.add(r.configured.copy());
    }
    return out;
  }

  /**
   * Reads {@code apps.<id>.channels}; an unknown key, a bad pattern or a bad value names the key.
   * {@code joinLeave} and {@code delta} are the app's defaults ({@code presenceEvents}, {@code delta}).
   */
  static ChannelRules from(ConfigReader app, PulseConfig.HistorySettings history, boolean joinLeave, boolean delta) {
    ChannelOptions defaults = new ChannelOptions(false, false, history.size(), history.ttlSeconds(), true, joinLeave, delta);
    List<JsonObject> list = app.objects("channels");
    List<Rule> rules = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      ConfigReader r = new ConfigReader(list.get(i), app.key("channels") + "[" + i + "]");
      Rule rule = rule(r, defaults);
      for (int j = 0; j < rules.size(); j++) {
        if (rules.get(j).pattern.equals(rule.pattern)) {
          throw new ConfigException(r.key("pattern"), "'" + rule.pattern + "' is also channels[" + j
              + "], which comes first: this entry would never apply");
        }
      }
      rules.add(rule);
    }
    return new ChannelRules(rules.toArray(new Rule[0]), defaults);
  }

  private static Rule rule(ConfigReader r, ChannelOptions defaults) {
    r.only(RULE_KEYS);
    String pattern = r.string("pattern", null);
    if (pattern == null) {
      throw new ConfigException(r.key("pattern"), "each entry needs a pattern, e.g. \"dashboard/**\"");
    }
    ChannelPattern compiled = ChannelPattern.compile(pattern, null);
    if (compiled == null) {
      throw new ConfigException(r.key("pattern"), "'" + pattern + "' is not a channel pattern: segments of"
          + " [A-Za-z0-9_.:@-] joined by '/', '*' for one whole segment, '**' only as the last ({sub} is for token grants)");
    }
    JsonObject configured = new JsonObject().put("pattern", pattern);
    boolean ephemeral = flag(r, "ephemeral", false, configured);
    boolean cache = flag(r, "cache", false, configured);
    int size = defaults.historySize();
    int ttl = defaults.historyTtlSeconds();
    if (r.raw().containsKey("history")) {
      ConfigReader h = r.section("history");
      h.only("size", "ttlSeconds");
      if (ephemeral) {
        throw new ConfigException(r.key("history"), "an ephemeral channel keeps no history");
      }
      size = h.integer("size", size, 1, 1_000_000);
      ttl = h.integer("ttlSeconds", ttl, 1, 7 * 24 * 3600);
      JsonObject shown = new JsonObject();
      if (h.raw().containsKey("size")) {
        shown.put("size", size);
      }
      if (h.raw().containsKey("ttlSeconds")) {
        shown.put("ttlSeconds", ttl);
      }
      configured.put("history", shown);
    }
    if (cache && ephemeral) {
      throw new ConfigException(r.key("cache"), "a cache channel serves its last message from history: not with ephemeral");
    }
    if (cache && size == 0) {
      throw new ConfigException(r.key("cache"), "a cache channel needs history: the global history.size is 0, set history.size here");
    }
    boolean presence = flag(r, "presence", defaults.presence(), configured);
    boolean joinLeave = flag(r, "joinLeave", defaults.joinLeave(), configured);
    // an ephemeral channel has no offsets, so no "previous message" a delta could start from
    boolean delta = delta(r, defaults.delta() && !ephemeral);
    if (r.raw().containsKey("delta")) {
      if (delta && ephemeral) {
        throw new ConfigException(r.key("delta"), "deltas need offsets: not with ephemeral");
      }
      configured.put("delta", delta ? FOSSIL : NONE);
    }
    ChannelOptions options = new ChannelOptions(cache, ephemeral, ephemeral ? 0 : size, ttl, presence, joinLeave, delta);
    return new Rule(pattern, compiled, options, configured);
  }

  /** {@code delta: fossil} (Fossil deltas to subscribers that ask) or {@code none}; absent: {@code def}. */
  static boolean delta(ConfigReader r, boolean def) {
    String value = r.string("delta", def ? FOSSIL : NONE);
    if (!value.equals(FOSSIL) && !value.equals(NONE)) {
      throw new ConfigException(r.key("delta"), "'" + value + "' is not a delta encoding: fossil or none");
    }
    return value.equals(FOSSIL);
  }

  private static boolean flag(ConfigReader r, String name, boolean def, JsonObject configured) {
    boolean value = r.bool(name, def);
    if (r.raw().containsKey(name)) {
      configured.put(name, value);
    }
    return value;
  }
}
