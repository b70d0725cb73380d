package dev.apexpulse.loadtest;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.time.Duration;
import java.util.List;

import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

/** What the simulations share: protocol, connect/subscribe steps, the final check, assertions. */
final class Pulse {
  static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);

  private Pulse() {}

  static HttpProtocolBuilder protocol() {
    System.out.println("apex-pulse load test: " + Params.describe());
    return http.baseUrl(Params.BASE_URL)
        .wsBaseUrl(Params.WS_URL)
        .acceptHeader("application/json")
        .wsUnmatchedInboundMessageBufferSize(100_000)
        .sseUnmatchedInboundMessageBufferSize(100_000);
  }

  static String channel(String kind, long n) {
    return Params.PREFIX + "/" + kind + "/" + n;
  }

  /** Mints (or picks) the user's token and sets up its tracker for {@code channel}. */
  static ChainBuilder identify(String userPrefix, java.util.function.Function<Session, String> channel) {
    return exec(session -> {
      String user = userPrefix + "-" + session.userId();
      String ch = channel.apply(session);
      return session.set("user", user).set("token", Params.token(user)).set("channel", ch)
          .set(Tracker.KEY, new Tracker(ch, user));
    });
  }

  /** Opens the socket with ?token= and waits for the welcome frame. */
  static ChainBuilder connect(String name) {
    return exec(ws(name).connect("/ws?token=#{token}")
        .await(REPLY_TIMEOUT).on(ws.checkTextMessage("welcome")
            .matching(jsonPath("$.type").is("welcome"))
            .check(jsonPath("$.connection").exists())));
  }

  /** Subscribes to the session's channel (optionally with since) and records offset and epoch. */
  static ChainBuilder subscribe(String name, boolean since) {
    return exec(ws(name).sendText(session -> "{\"type\":\"subscribe\",\"id\":1,\"channel\":" + Tokens.quote(session.getString("channel"))
            + (since ? ",\"since\":" + Tracker.of(session).since() : "") + "}")
        .await(REPLY_TIMEOUT).on(ws.checkTextMessage(name + ": reply")
            .matching(jsonPath("$.id").ofInt().is(1))
            .check(jsonPath("$.type").is("subscribed"),
                jsonPath("$.offset").ofLong().saveAs("subOffset"),
                jsonPath("$.epoch").saveAs("subEpoch"),
                jsonPath("$.recovered").ofBoolean().is(true).saveAs("recovered"))))
        .exec(session -> {
          if (session.contains("subOffset")) {
            Tracker.of(session).subscribed(session.getLong("subOffset"), session.getString("subEpoch"), session.getBoolean("recovered"));
          }
          return session.remove("subOffset");
        });
  }

  /**
   * Takes the frames buffered since the last call into the tracker. Gatling clears that buffer when
   * the socket sends a frame: call this before every send of a user whose frames are tracked.
   */
  static ChainBuilder drainInbound() {
    return exec(ws.processUnmatchedMessages((messages, session) -> Tracker.of(session).process(messages, session)));
  }

  /**
   * Reports the tracker as a request: a protocol ping whose id is the number of problems seen (gaps,
   * duplicates, own messages lost); the check wants the pong to say 0, so any loss fails the run.
   */
  static ChainBuilder verify(String name) {
    return drainInbound()
        .exec(session -> session.set("problems", Tracker.of(session).problems()))
        .exec(ws(name).sendText("{\"type\":\"ping\",\"id\":#{problems}}")
            .await(REPLY_TIMEOUT).on(ws.checkTextMessage("no gap, nothing lost")
                .matching(jsonPath("$.type").is("pong"))
                .check(jsonPath("$.id").ofLong().is(0L))));
  }

  static List<Assertion> assertions() {
    return List.of(
        global().failedRequests().percent().lte(Params.MAX_FAILED_PCT),
        global().responseTime().percentile(99.0).lte(Params.P99_MS),
        global().allRequests().count().gt(0L));
  }

  /** Upper bound of a run: nothing may keep it going past this. */
  static Duration maxDuration(Duration extra) {
    return Params.RAMP.plus(Params.DURATION).plus(extra);
  }
}
