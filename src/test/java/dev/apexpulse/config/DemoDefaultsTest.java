package dev.apexpulse.config;

import dev.apexpulse.support.VertxTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo jobs (conf/demo.yaml) join dev-mode demo configurations without jobs, and nothing else. */
class DemoDefaultsTest extends VertxTest {

  private static final JsonObject DEMO = new JsonObject().put("jobs", new JsonArray()
      .add(new JsonObject().put("name", "demo-orders").put("sql", "select 1"))
      .add(new JsonObject().put("name", "demo-ticker")));

  private static JsonObject config() {
    return new JsonObject().put("mode", "dev").put("http", new JsonObject().put("demo", true))
        .put("apps", new JsonObject().put("100", new JsonObject()));
  }

  private static List<String> names(JsonObject config) {
    JsonArray jobs = config.getJsonArray("jobs");
    return jobs == null ? List.of() : jobs.stream().map(j -> ((JsonObject) j).getString("name")).toList();
  }

  @Test
  void devDemoWithoutJobsGetsTheTickerAndWithH2TheSqlJobToo() {
    assertThat(names(DemoDefaults.apply(config(), DEMO))).containsExactly("demo-ticker");
    assertThat(names(DemoDefaults.apply(config().put("jobs", new JsonArray()), DEMO))).containsExactly("demo-ticker");
    JsonObject h2 = config().put("db", new JsonObject().put("url", "jdbc:h2:file:./data/pulse"));
    assertThat(names(DemoDefaults.apply(h2, DEMO))).containsExactly("demo-orders", "demo-ticker");
    JsonObject oracle = config().put("db", new JsonObject().put("url", "jdbc:oracle:thin:@//db:1521/X"));
    assertThat(names(DemoDefaults.apply(oracle, DEMO))).containsExactly("demo-ticker");
  }

  @Test
  void productionDemoOffOwnJobsOrNoApp100GetNothing() {
    assertThat(DemoDefaults.wanted(config().put("mode", "production"))).isFalse();
    assertThat(DemoDefaults.wanted(config().put("http", new JsonObject().put("demo", false)))).isFalse();
    assertThat(DemoDefaults.wanted(config().put("http", new JsonObject().put("demo", "false")))).isFalse();
    assertThat(DemoDefaults.wanted(config().put("apps", new JsonObject().put("200", new JsonObject())))).isFalse();
    JsonObject own = config().put("jobs", new JsonArray().add(new JsonObject().put("name", "mine")));
    assertThat(names(DemoDefaults.apply(own, DEMO))).containsExactly("mine");
    assertThat(DemoDefaults.apply(config().put("mode", "production"), DEMO).containsKey("jobs")).isFalse();
  }

  @Test
  void embeddedDefaultsCarryTheDemoJobsInDevModeOnly() throws Exception {
    PulseConfig dev = ConfigLoader.load(vertx, Map.of()).await(10, TimeUnit.SECONDS);
    JsonObject db = dev.section("db");
    boolean h2 = db.getString("url", "").startsWith("jdbc:h2:");
    assertThat(names(dev.raw())).isEqualTo(h2 ? List.of("demo-orders", "demo-ticker") : List.of("demo-ticker"));
    JsonObject ticker = dev.raw().getJsonArray("jobs").getJsonObject(h2 ? 1 : 0);
    assertThat(ticker).isEqualTo(new JsonObject().put("name", "demo-ticker").put("app", "100").put("channel", "demo/ticker").put("every", "1s")
        .put("triggerable", true));

    PulseConfig prod = ConfigLoader.load(vertx, Map.of("PULSE_MODE", "production", "PULSE_APP_100_SECRET",
        "prod-secret-0123456789-0123456789-abcdef", "PULSE_APP_100_API_KEY", "prod-api-key-0123456789")).await(10, TimeUnit.SECONDS);
    assertThat(names(prod.raw())).isEmpty();
    PulseConfig noDemo = ConfigLoader.load(vertx, Map.of("PULSE_HTTP_DEMO", "false")).await(10, TimeUnit.SECONDS);
    assertThat(names(noDemo.raw())).isEmpty();
  }
}
