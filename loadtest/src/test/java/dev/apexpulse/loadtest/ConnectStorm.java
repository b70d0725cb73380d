package dev.apexpulse.loadtest;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.ws;

/**
 * Ramps {@code users} authenticated connections over {@code ramp} seconds; each subscribes to one of
 * {@code channels} dashboard channels and holds until {@code ramp + duration}, sending a protocol
 * ping every {@code pingEvery} seconds (its round trip is the latency under that many connections).
 */
public class ConnectStorm extends Simulation {
  private final Deadline deadline = new Deadline(Params.RAMP.plus(Params.DURATION));

  {
    ScenarioBuilder storm = scenario("ConnectStorm")
        .exec(Pulse.identify("storm", s -> Pulse.channel("dashboard", s.userId() % Params.CHANNELS)))
        .exec(Pulse.connect("connect"))
        .exec(Pulse.subscribe("subscribe", false))
        .exitHereIfFailed()
        .asLongAs(s -> !deadline.passed()).on(
            pause(Duration.ofSeconds(Params.PING_EVERY))
                .exec(ws("ping").sendText("{\"type\":\"ping\",\"id\":2}")
                    .await(Pulse.REPLY_TIMEOUT).on(ws.checkTextMessage("pong").matching(jsonPath("$.type").is("pong")))))
        .exec(ws("close").close());

    setUp(storm.injectOpen(rampUsers(Params.USERS).during(Params.RAMP)))
        .protocols(Pulse.protocol())
        .maxDuration(Pulse.maxDuration(Duration.ofSeconds(Params.PING_EVERY + 30)))
        .assertions(Pulse.assertions());
  }

  @Override
  public void before() {
    deadline.start();
  }
}
