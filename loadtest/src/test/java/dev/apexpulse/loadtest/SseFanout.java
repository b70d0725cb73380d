package dev.apexpulse.loadtest;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.sse;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * DashboardFanout on the fallback transport: {@code users} pages that could not open a WebSocket read
 * their dashboard channel on a Server-Sent Events stream ({@code GET /sse}) and send their frames as
 * POSTs to {@code /sse/<session>}; the HTTP API publishes {@code rate} messages per second to every one
 * of {@code channels} channels for {@code duration} seconds, then an end marker. Every subscriber checks
 * that it received every offset between its subscription and the end marker, none twice.
 */
public class SseFanout extends Simulation {
  private static final Duration SETTLE = Duration.ofSeconds(3);
  private static final Duration DRAIN = Duration.ofSeconds(15);
  private final Deadline deadline = new Deadline(Params.RAMP.plus(SETTLE).plus(Params.DURATION).plus(DRAIN));

  {
    if (Params.CHANNELS > 1000) {
      throw new IllegalArgumentException("SseFanout publishes one batch per tick: at most 1000 channels");
    }
    ScenarioBuilder subscribers = scenario("SseFanout subscribers")
        .exec(Pulse.identify("reader", s -> Pulse.channel("sse", s.userId() % Params.CHANNELS)))
        .exec(sse("open stream").get("/sse?token=#{token}")
            .await(Pulse.REPLY_TIMEOUT).on(sse.checkMessage("welcome")
                .matching(jsonPath("$.data").transform(SseFanout::type).is("welcome"))
                .check(jsonPath("$.data").transform(d -> field(d, "session")).saveAs("sseSession"))))
        .exitHereIfFailed()
        .exec(post("subscribe", s -> "{\"type\":\"subscribe\",\"id\":1,\"channel\":" + Tokens.quote(s.getString("channel")) + "}"))
        .asLongAs(s -> Tracker.of(s).subscribedAt == 0 && !deadline.passed()).on(
            pause(Duration.ofMillis(100)).exec(drain()))
        .asLongAs(s -> Tracker.of(s).endOffset < 0 && !deadline.passed()).on(
            pause(Duration.ofMillis(500)).exec(drain()))
        .exec(drain())
        .exec(session -> session.set("problems", Tracker.of(session).subscribedAt == 0 ? -1 : Tracker.of(session).problems()))
        // the tracker's verdict as a request: KO when it saw a gap, a duplicate, or no subscribe reply
        .exec(http("no gap, nothing lost").post("/sse/#{sseSession}")
            .header("Content-Type", "application/json").body(StringBody("{\"type\":\"ping\"}"))
            .check(status().is(202), bodyString().transformWithSession((body, s) -> s.getLong("problems")).is(0L)))
        .exec(sse("close stream").close());

    String credential = "Bearer " + Params.publisherCredential();
    long intervalMillis = Math.max(1, Math.round(1000 / Params.RATE));
    ScenarioBuilder publisher = scenario("SseFanout publisher")
        .exec(session -> session.set("seq", 0L))
        .during(Params.DURATION).on(
            pace(Duration.ofMillis(intervalMillis))
                .exec(session -> session.set("seq", session.getLong("seq") + 1))
                .exec(DashboardFanout.publish("publish batch", credential, false, "sse")))
        .exec(DashboardFanout.publish("publish end markers", credential, true, "sse"));

    setUp(
        subscribers.injectOpen(rampUsers(Params.USERS).during(Params.RAMP)),
        publisher.injectOpen(nothingFor(Params.RAMP.plus(SETTLE)), atOnceUsers(1)))
        .protocols(Pulse.protocol())
        .maxDuration(Pulse.maxDuration(SETTLE.plus(DRAIN).plus(Duration.ofSeconds(20))))
        .assertions(Pulse.assertions());
  }

  /** One frame POSTed to the user's session: answered 202, its reply comes on the stream. */
  private static ChainBuilder post(String name, java.util.function.Function<io.gatling.javaapi.core.Session, String> frame) {
    return exec(http(name).post("/sse/#{sseSession}")
        .header("Content-Type", "application/json").body(StringBody(frame))
        .check(status().is(202)));
  }

  private static ChainBuilder drain() {
    return exec(sse.processUnmatchedMessages((messages, session) -> Tracker.of(session).processSse(messages, session)));
  }

  private static String type(String frame) {
    return field(frame, "type");
  }

  private static String field(String frame, String name) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(frame).path(name).asText(null);
    } catch (Exception e) {
      return null;
    }
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
