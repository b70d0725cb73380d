package dev.apexpulse.config;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.support.TestNode;
import dev.apexpulse.support.VertxTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** apps.&lt;id&gt;.channels: first match wins, defaults from the global settings, and bad entries stop the start naming the key. */
class ChannelOptionsConfigTest extends VertxTest {

  private static PulseConfig with(JsonArray channels) {
    JsonObject json = TestNode.config();
    json.getJsonObject("apps").getJsonObject(TestNode.APP).put("channels", channels);
    return PulseConfig.from(json);
  }

  private static JsonObject rule(String pattern) {
    return new JsonObject().put("pattern", pattern);
  }

  @Test
  void theIssueExampleFromYamlFirstMatchWinsAndTheRestHasTheDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("channels.yaml");
    Files.writeString(file, """
        history: {size: 100, ttlSeconds: 600}
        apps:
          "100":
            presenceEvents: false
            channels:
              - pattern: "dashboard/**"
                cache: true            # last value on subscribe
                history: {size: 10, ttlSeconds: 86400}
              - pattern: "typing/**"
                ephemeral: true
              - pattern: "chat/**"
                history: {size: 500, ttlSeconds: 3600}
                presence: true
                joinLeave: true
              - pattern: "**"
                presence: false
        """);
    PulseConfig c = ConfigLoader.load(vertx, Map.of("PULSE_CONF", file.toString())).await(10, TimeUnit.SECONDS);
    assertThat(c.channelOptions(new ChannelKey("100", "dashboard/orders")))
        .isEqualTo(new ChannelOptions(true, false, 10, 86400, true, false, false));
    assertThat(c.channelOptions(new ChannelKey("100", "typing/room/7")))
        .isEqualTo(new ChannelOptions(false, true, 0, 600, true, false, false));
    assertThat(c.channelOptions(new ChannelKey("100", "chat/room/7")))
        .isEqualTo(new ChannelOptions(false, false, 500, 3600, true, true, false));
    assertThat(c.channelOptions(new ChannelKey("100", "other")).presence()).isFalse();
    // "dashboard" alone is not under dashboard/**: the catch-all applies
    assertThat(c.channelOptions(new ChannelKey("100", "dashboard")).cache()).isFalse();
    assertThat(c.app("100").channels().configured().getJsonObject(0).encode())
        .isEqualTo("{\"pattern\":\"dashboard/**\",\"cache\":true,\"history\":{\"size\":10,\"ttlSeconds\":86400}}");
  }

  @Test
  void withoutChannelsEveryChannelHasTodaysGlobalSettings() {
    JsonObject json = TestNode.config().put("history", new JsonObject().put("size", 7).put("ttlSeconds", 70));
    PulseConfig c = PulseConfig.from(json);
    assertThat(c.channelOptions(new ChannelKey("100", "any/thing")))
        .isEqualTo(new ChannelOptions(false, false, 7, 70, true, true, false));
    assertThat(c.app("100").channels().rules()).isEmpty();
    assertThat(c.idempotency().windowSeconds()).isEqualTo(300);
  }

  @Test
  void anUnknownKeyStopsTheStartNamingIt() {
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("cach", true))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("apps.100.channels[0].cach").hasMessageContaining("unknown key");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**")).add(rule("b/**")
        .put("history", new JsonObject().put("size", 5).put("ttl", 9)))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("apps.100.channels[1].history.ttl");
  }

  @Test
  void aBadPatternStopsTheStartNamingIt() {
    for (String bad : new String[] {"a/**/b", "a//b", "dash*", "user/{sub}", "", "a b"}) {
      assertThatThrownBy(() -> with(new JsonArray().add(rule(bad)))).as(bad)
          .isInstanceOf(ConfigException.class).hasMessageContaining("apps.100.channels[0].pattern");
    }
    assertThatThrownBy(() -> with(new JsonArray().add(new JsonObject().put("cache", true))))
        .hasMessageContaining("apps.100.channels[0].pattern").hasMessageContaining("needs a pattern");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**")).add(rule("a/**").put("cache", true))))
        .hasMessageContaining("apps.100.channels[1].pattern").hasMessageContaining("never apply");
    assertThatThrownBy(() -> with(new JsonArray().add("a/**")))
        .hasMessageContaining("apps.100.channels[0]").hasMessageContaining("expected a map");
  }

  @Test
  void aHistorySizeOfZeroOrBelowStopsTheStartNamingIt() {
    for (int size : new int[] {0, -1, -100}) {
      assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("history", new JsonObject().put("size", size)))))
          .as("size %d", size).isInstanceOf(ConfigException.class)
          .hasMessageContaining("apps.100.channels[0].history.size").hasMessageContaining("got " + size);
    }
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("history", new JsonObject().put("ttlSeconds", 0)))))
        .hasMessageContaining("apps.100.channels[0].history.ttlSeconds");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("history", 5))))
        .hasMessageContaining("apps.100.channels[0].history").hasMessageContaining("expected a section");
  }

  @Test
  void deltaIsAChannelOptionWhoseDefaultIsTheApps() {
    JsonArray rules = new JsonArray().add(rule("dashboard/**").put("delta", "fossil")).add(rule("plain/**").put("delta", "none"))
        .add(rule("typing/**").put("ephemeral", true)).add(rule("other/**"));
    JsonObject json = TestNode.config();
    json.getJsonObject("apps").getJsonObject("100").put("channels", rules);
    PulseConfig off = PulseConfig.from(json);
    assertThat(off.channelOptions(new ChannelKey("100", "dashboard/1")).delta()).isTrue();
    assertThat(off.channelOptions(new ChannelKey("100", "other/1")).delta()).isFalse();
    assertThat(off.channelOptions(new ChannelKey("100", "elsewhere")).delta()).isFalse();
    assertThat(off.app("100").channels().configured().getJsonObject(0).getString("delta")).isEqualTo("fossil");
    assertThat(off.channelOptions(new ChannelKey("100", "dashboard/1")).toJson().getString("delta")).isEqualTo("fossil");
    json.getJsonObject("apps").getJsonObject("100").put("delta", "fossil");
    PulseConfig on = PulseConfig.from(json);
    assertThat(on.channelOptions(new ChannelKey("100", "other/1")).delta()).as("the app's default").isTrue();
    assertThat(on.channelOptions(new ChannelKey("100", "elsewhere")).delta()).isTrue();
    assertThat(on.channelOptions(new ChannelKey("100", "plain/1")).delta()).isFalse();
    assertThat(on.channelOptions(new ChannelKey("100", "typing/1")).delta()).as("no offsets, no deltas").isFalse();
  }

  @Test
  void contradictoryOptionsStopTheStartNamingTheKey() {
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("delta", "fossil").put("ephemeral", true))))
        .hasMessageContaining("apps.100.channels[0].delta").hasMessageContaining("not with ephemeral");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("delta", "xdelta"))))
        .hasMessageContaining("apps.100.channels[0].delta").hasMessageContaining("'xdelta' is not a delta encoding: fossil or none");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("cache", true).put("ephemeral", true))))
        .hasMessageContaining("apps.100.channels[0].cache");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("ephemeral", true)
        .put("history", new JsonObject().put("size", 5)))))
        .hasMessageContaining("apps.100.channels[0].history").hasMessageContaining("ephemeral");
    assertThatThrownBy(() -> with(new JsonArray().add(rule("a/**").put("cache", "yes"))))
        .hasMessageContaining("apps.100.channels[0].cache").hasMessageContaining("true or false");
    JsonObject noHistory = TestNode.config().put("history", new JsonObject().put("size", 0));
    noHistory.getJsonObject("apps").getJsonObject("100").put("channels", new JsonArray().add(rule("a/**").put("cache", true)));
    assertThatThrownBy(() -> PulseConfig.from(noHistory)).hasMessageContaining("apps.100.channels[0].cache");
  }
}
