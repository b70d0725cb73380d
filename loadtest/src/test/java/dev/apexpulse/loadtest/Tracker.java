package dev.apexpulse.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatling.http.action.sse.SseInboundMessage;
import io.gatling.http.action.ws.WsInboundMessage;
import io.gatling.javaapi.core.Session;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One virtual user's view of a channel: the offsets it was sent, in order. A gap is an offset that
 * never arrived, a duplicate one that arrived twice (or out of order). Lives in the session; a
 * virtual user's actions run one at a time, so it needs no locks.
 */
final class Tracker {
  static final String KEY = "tracker";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final boolean DEBUG = Boolean.getBoolean("trackerDebug");
  private static final AtomicInteger REPORTED = new AtomicInteger();

  final String channel;
  final String user;
  long next = -1;          // offset expected next; -1 until the subscribe reply
  String epoch;
  long received;
  long gaps;
  long duplicates;
  long ownReceived;
  long ownSent;
  long endOffset = -1;     // offset of the publisher's end marker, when seen
  String firstProblem;

  Tracker(String channel, String user) {
    this.channel = channel;
    this.user = user;
  }

  static Tracker of(Session session) {
    return session.get(KEY);
  }

  /** From a subscribe reply: offset and epoch to recover from later. */
  void subscribed(long offset, String epoch, boolean recovered) {
    if (next < 0 || !recovered) {
      next = offset + 1;
    }
    this.epoch = epoch;
  }

  /** The {@code since} object for a resubscribe: the last offset seen. */
  String since() {
    return "{\"offset\":" + (next - 1) + ",\"epoch\":" + Tokens.quote(epoch) + "}";
  }

  /** Feeds the frames Gatling buffered since the last call (those no check matched). */
  Session process(List<WsInboundMessage> messages, Session session) {
    if (DEBUG) {
      System.out.println("[" + user + "] batch " + messages.stream().map(m -> m instanceof WsInboundMessage.Text t ? t.message().replaceAll(".*\"offset\":(\\d+).*", "$1").replaceAll("^\\{\"type\":\"(\\w+)\".*", "$1") : "bin").toList());
    }
    for (WsInboundMessage m : messages) {
      if (m instanceof WsInboundMessage.Text t) {
        text(t.message());
      }
    }
    return session;
  }

  /**
   * Feeds the events Gatling buffered on an event stream since the last call. Each is Gatling's JSON
   * view of the event ({@code {"data":"<the frame>",…}}); the subscribe reply ({@code id} 1) is taken
   * here too, since a stream has no send to hang a check on.
   */
  Session processSse(List<SseInboundMessage> messages, Session session) {
    for (SseInboundMessage m : messages) {
      String frame;
      try {
        frame = JSON.readTree(m.message()).path("data").asText("");
      } catch (Exception e) {
        problem("unparsable event " + m.message());
        continue;
      }
      if (frame.startsWith("{\"type\":\"subscribed\",\"id\":1,")) {
        try {
          JsonNode r = JSON.readTree(frame);
          subscribed(r.path("offset").asLong(), r.path("epoch").asText(), r.path("recovered").asBoolean());
          subscribedAt = System.currentTimeMillis();
        } catch (Exception e) {
          problem("unparsable reply " + frame);
        }
      } else {
        text(frame);
      }
    }
    return session;
  }

  /** When the subscribe reply came on an event stream (0: not yet). */
  long subscribedAt;

  void text(String frame) {
    if (!frame.startsWith("{\"type\":\"message\"")) {
      return; // join/leave, acks, pongs
    }
    JsonNode m;
    try {
      m = JSON.readTree(frame);
    } catch (Exception e) {
      problem("unparsable frame " + frame);
      return;
    }
    if (!channel.equals(m.path("channel").asText())) {
      return;
    }
    long offset = m.path("offset").asLong();
    if (next >= 0 && offset < next) {
      duplicates++;
      problem("offset " + offset + " again or out of order (expected " + next + ")");
      return;
    }
    if (next >= 0 && offset > next) {
      gaps += offset - next;
      problem("offsets " + next + ".." + (offset - 1) + " missing");
    }
    next = offset + 1;
    received++;
    if (user.equals(m.path("from").asText(null))) {
      ownReceived++;
    }
    if (m.path("data").path("end").asBoolean(false)) {
      endOffset = offset;
    }
  }

  /** Problems found: gaps, duplicates and own messages that never came back. */
  long problems() {
    long lostOwn = Math.max(0, ownSent - ownReceived);
    if (lostOwn > 0) {
      problem(lostOwn + " of " + ownSent + " own messages never came back");
    }
    TOTALS[0].incrementAndGet();
    TOTALS[1].addAndGet(received);
    TOTALS[2].addAndGet(gaps);
    TOTALS[3].addAndGet(duplicates);
    TOTALS[4].addAndGet(lostOwn);
    return gaps + duplicates + lostOwn;
  }

  private static final AtomicLong[] TOTALS = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};

  /** One line for the end of a run: what the verified users received in all. */
  static String summary() {
    return "verified users: " + TOTALS[0] + ", messages received: " + TOTALS[1] + ", missing: " + TOTALS[2]
        + ", duplicates: " + TOTALS[3] + ", own messages lost: " + TOTALS[4];
  }

  private void problem(String what) {
    if (firstProblem == null) {
      firstProblem = what;
      if (REPORTED.incrementAndGet() <= 20) {
        System.out.println("[" + user + " on " + channel + "] " + what);
      }
    }
  }
}
