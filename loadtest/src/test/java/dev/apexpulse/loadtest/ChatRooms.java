package dev.apexpulse.loadtest;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.ws;

/**
 * {@code users} chat users in {@code channels} rooms: each enters (subscribe, asks who is there),
 * says something every {@code chatEvery} seconds (the ack's round trip is the response time) until
 * {@code ramp + duration}, reads everyone's messages, asks presence again and leaves. Each user
 * checks it saw every offset of its room since it entered, including its own messages.
 *
 * <p>Each user has two sockets: it reads the room on one and talks (publish, presence) on the other,
 * because Gatling empties a socket's buffer of unchecked frames whenever that socket sends: frames
 * arriving between reading the buffer and sending would be lost to the check, not by the gateway.
 */
public class ChatRooms extends Simulation {
  private static final String TALK = "talk";
  private final Deadline deadline = new Deadline(Params.RAMP.plus(Params.DURATION));

  {
    ScenarioBuilder chat = scenario("ChatRooms")
        .exec(Pulse.identify("chatter", s -> Pulse.channel("chat/room", s.userId() % Params.CHANNELS)))
        .exec(Pulse.connect("connect"))
        .exec(Pulse.subscribe("enter room", false))
        .exitHereIfFailed()
        .exec(ws("connect talk socket").wsName(TALK).connect("/ws?token=#{token}")
            .await(Pulse.REPLY_TIMEOUT).on(ws.checkTextMessage("welcome").matching(jsonPath("$.type").is("welcome"))))
        .exitHereIfFailed()
        .exec(presence("who is here"))
        .asLongAs(s -> !deadline.passed()).on(
            pace(Duration.ofMillis(Math.round(Params.CHAT_EVERY * 1000)))
                .exec(say())
                .exec(Pulse.drainInbound()))
        .exec(presence("who is still here"))
        .pause(Duration.ofSeconds(2))
        .exec(Pulse.verify("verify"))
        .exec(ws("leave").close())
        .exec(ws("close talk socket").wsName(TALK).close());

    setUp(chat.injectOpen(rampUsers(Params.USERS).during(Params.RAMP)))
        .protocols(Pulse.protocol())
        .maxDuration(Pulse.maxDuration(Duration.ofSeconds(Math.round(Params.CHAT_EVERY) + 40)))
        .assertions(Pulse.assertions());
  }

  private static ChainBuilder say() {
    return exec(session -> {
      Tracker.of(session).ownSent++;
      return session;
    }).exec(ws("say").wsName(TALK).sendText(session -> "{\"type\":\"publish\",\"id\":3,\"channel\":" + Tokens.quote(session.getString("channel"))
            + ",\"data\":{\"text\":\"hello from " + session.getString("user") + "\",\"at\":" + System.currentTimeMillis() + "}}")
        .await(Pulse.REPLY_TIMEOUT).on(ws.checkTextMessage("ack")
            .matching(jsonPath("$.id").ofInt().is(3))
            .check(jsonPath("$.type").is("ack"), jsonPath("$.offset").exists())));
  }

  private static ChainBuilder presence(String name) {
    return exec(ws(name).wsName(TALK).sendText(session -> "{\"type\":\"presence\",\"id\":5,\"channel\":" + Tokens.quote(session.getString("channel")) + "}")
        .await(Pulse.REPLY_TIMEOUT).on(ws.checkTextMessage("presence")
            .matching(jsonPath("$.id").ofInt().is(5))
            .check(jsonPath("$.type").is("presence"), jsonPath("$.count").ofInt().gte(1))));
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
