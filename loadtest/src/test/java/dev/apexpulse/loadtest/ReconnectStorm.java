package dev.apexpulse.loadtest;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.gatling.javaapi.http.HttpDsl.ws;

/**
 * {@code users} connections over {@code channels} channels while the HTTP API publishes {@code rate}
 * messages per second to each. Every connection repeatedly stays up for up to {@code holdMax} seconds,
 * drops, stays away {@code downtime} seconds (missing messages) and comes back with
 * {@code since}: the reply must say recovered:true and the replay must fill the hole exactly (no gap,
 * no duplicate), checked over the whole run.
 */
public class ReconnectStorm extends Simulation {
  private final Deadline deadline = new Deadline(Params.RAMP.plus(Params.DURATION));

  {
    ScenarioBuilder users = scenario("ReconnectStorm")
        .exec(Pulse.identify("roamer", s -> Pulse.channel("live", s.userId() % Params.CHANNELS)))
        .exec(Pulse.connect("connect"))
        .exec(Pulse.subscribe("subscribe", false))
        .exitHereIfFailed()
        .asLongAs(s -> !deadline.passed() && !s.isFailed()).on(
            pause(Duration.ofMillis(500), Duration.ofMillis(Math.max(600, Math.round(Params.HOLD_MAX * 1000))))
                .exec(Pulse.drainInbound())
                .exec(ws("drop").close())
                .pause(Duration.ofMillis(Math.round(Params.DOWNTIME * 1000)))
                .exec(Pulse.connect("reconnect"))
                .exec(Pulse.subscribe("resubscribe since", true)))
        .pause(Duration.ofSeconds(1))
        .exec(Pulse.drainInbound())
        .exec(Pulse.verify("verify"))
        .exec(ws("close").close());

    String credential = "Bearer " + Params.publisherCredential();
    ScenarioBuilder publisher = scenario("ReconnectStorm publisher")
        .exec(session -> session.set("seq", 0L))
        .during(Params.RAMP.plus(Params.DURATION)).on(
            pace(Duration.ofMillis(Math.max(1, Math.round(1000 / Params.RATE))))
                .exec(session -> session.set("seq", session.getLong("seq") + 1))
                .exec(http("publish batch").post("/api/v1/apps/" + Params.APP + "/publish")
                    .header("Authorization", credential)
                    .header("Content-Type", "application/json")
                    .body(StringBody(session -> {
                      StringBuilder b = new StringBuilder("{\"messages\":[");
                      for (int c = 0; c < Math.min(Params.CHANNELS, 1000); c++) {
                        b.append(c > 0 ? "," : "").append("{\"channel\":").append(Tokens.quote(Pulse.channel("live", c)))
                            .append(",\"data\":{\"seq\":").append(session.getLong("seq")).append("}}");
                      }
                      return b.append("]}").toString();
                    }))
                    .check(status().is(200))));

    setUp(
        users.injectOpen(rampUsers(Params.USERS).during(Params.RAMP)),
        publisher.injectOpen(atOnceUsers(1)))
        .protocols(Pulse.protocol())
        .maxDuration(Pulse.maxDuration(Duration.ofSeconds(Math.round(Params.HOLD_MAX + Params.DOWNTIME) + 40)))
        .assertions(Pulse.assertions());
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
