package dev.apexpulse.loadtest;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.gatling.javaapi.http.HttpDsl.ws;

/**
 * {@code users} subscribers spread over {@code channels} dashboard channels; after the ramp (and 3 s
 * to settle) the HTTP API publishes {@code rate} messages per second to every channel for
 * {@code duration} seconds, then an end marker per channel. Every subscriber checks that it received
 * every offset between its subscription and the end marker, none twice ("no gap, nothing lost").
 */
public class DashboardFanout extends Simulation {
  private static final Duration SETTLE = Duration.ofSeconds(3);
  private static final Duration DRAIN = Duration.ofSeconds(15);
  private final Deadline deadline = new Deadline(Params.RAMP.plus(SETTLE).plus(Params.DURATION).plus(DRAIN));

  {
    if (Params.CHANNELS > 1000) {
      throw new IllegalArgumentException("DashboardFanout publishes one batch per tick: at most 1000 channels");
    }
    ScenarioBuilder subscribers = scenario("DashboardFanout subscribers")
        .exec(Pulse.identify("viewer", s -> Pulse.channel("dashboard", s.userId() % Params.CHANNELS)))
        .exec(Pulse.connect("connect"))
        .exec(Pulse.subscribe("subscribe", false))
        .exitHereIfFailed()
        .asLongAs(s -> Tracker.of(s).endOffset < 0 && !deadline.passed()).on(
            pause(Duration.ofMillis(500)).exec(Pulse.drainInbound()))
        .exec(Pulse.verify("verify"))
        .exec(ws("close").close());

    String credential = "Bearer " + Params.publisherCredential();
    long intervalMillis = Math.max(1, Math.round(1000 / Params.RATE));
    ScenarioBuilder publisher = scenario("DashboardFanout publisher")
        .exec(session -> session.set("seq", 0L))
        .during(Params.DURATION).on(
            pace(Duration.ofMillis(intervalMillis))
                .exec(session -> session.set("seq", session.getLong("seq") + 1))
                .exec(publish("publish batch", credential, false, "dashboard")))
        .exec(publish("publish end markers", credential, true, "dashboard"));

    setUp(
        subscribers.injectOpen(rampUsers(Params.USERS).during(Params.RAMP)),
        publisher.injectOpen(nothingFor(Params.RAMP.plus(SETTLE)), atOnceUsers(1)))
        .protocols(Pulse.protocol())
        .maxDuration(Pulse.maxDuration(SETTLE.plus(DRAIN).plus(Duration.ofSeconds(20))))
        .assertions(Pulse.assertions());
  }

  /** One HTTP request with a message for every channel (or the end markers); SseFanout publishes alike. */
  static ChainBuilder publish(String name, String credential, boolean end, String kind) {
    return exec(http(name).post("/api/v1/apps/" + Params.APP + "/publish")
        .header("Authorization", credential)
        .header("Content-Type", "application/json")
        .body(StringBody(session -> {
          StringBuilder b = new StringBuilder("{\"messages\":[");
          long seq = end ? -1 : session.getLong("seq");
          long now = System.currentTimeMillis();
          for (int c = 0; c < Params.CHANNELS; c++) {
            if (c > 0) {
              b.append(',');
            }
            b.append("{\"channel\":").append(Tokens.quote(Pulse.channel(kind, c))).append(",\"data\":")
                .append(end ? "{\"end\":true}" : "{\"seq\":" + seq + ",\"at\":" + now + ",\"orders\":" + (seq * 7 % 1000) + "}")
                .append('}');
          }
          return b.append("]}").toString();
        }))
        .check(status().is(200), jsonPath("$.results[0].offset").exists()));
  }

  @Override
  public void before() {
    deadline.start();
  }

  @Override
  public void after() {
    System.out.println(getClass().getSimpleName() + ": " + Tracker.summary());
  }
}
