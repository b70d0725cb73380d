package dev.apexpulse.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Thousands of real WebSocket subscribers of one channel (Vert.x clients: a few KB each, where a
 * {@link FastWs} holds 128 KB of buffers), each checking that its messages arrive in offset order
 * with no gap and no duplicate. Presence events and pings are ignored.
 */
public final class Crowd implements AutoCloseable {
  /** Source addresses are spread so that thousands of sockets do not exhaust one address's ports. */
  private static final int PER_SOURCE_ADDRESS = 2500;

  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<Member> members = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private volatile boolean closing;

  /** One subscriber: the last offset it saw and how many messages arrived. */
  private final class Member {
    final int index;
    final Promise<Void> subscribed = Promise.promise();
    volatile WebSocket ws;
    volatile long offset = -1;
    final AtomicInteger messages = new AtomicInteger();

    Member(int index) {
      this.index = index;
    }

    void onFrame(String text) {
      JsonObject f = new JsonObject(text);
      switch (f.getString("type")) {
        case "subscribed" -> {
          offset = f.getLong("offset");
          subscribed.tryComplete();
        }
        case "message" -> {
          long o = f.getLong("offset");
          if (offset < 0 || o != offset + 1) {
            problem("offset " + o + " after " + offset);
          }
          offset = o;
          messages.incrementAndGet();
        }
        case "error" -> {
          problem("error " + f.encode());
          subscribed.tryFail(f.encode());
        }
        default -> { } // welcome, join, leave
      }
    }

    void problem(String what) {
      if (problems.size() < 20) {
        problems.add("subscriber " + index + ": " + what);
      }
    }
  }

  private Crowd() {}

  /**
   * Opens {@code count} subscribers of {@code channel}, subscriber i on {@code ports[i % ports.length]}
   * with {@code token.apply(i)}, at most {@code inFlight} opening at a time; returns once all are
   * subscribed (or fails, naming the first problems).
   */
  public static Crowd subscribe(Vertx vertx, int[] ports, IntFunction<String> token, String channel, int count,
                                int inFlight, long timeoutSeconds) {
    Crowd crowd = new Crowd();
    for (int i = 0; i < count; i++) {
      crowd.members.add(crowd.new Member(i));
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Promise<Void> all = Promise.promise();
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= count) {
        return;
      }
      Member m = crowd.members.get(i);
      crowd.client(vertx, i).connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(ports[i % ports.length])
              .setURI("/ws?token=" + token.apply(i)).setAllowOriginHeader(false))
          .onSuccess(ws -> {
            m.ws = ws;
            ws.textMessageHandler(m::onFrame);
            ws.closeHandler(v -> {
              if (!crowd.closing) {
                m.problem("closed by the server: " + ws.closeStatusCode() + " " + ws.closeReason());
                m.subscribed.tryFail("closed");
              }
            });
            ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("channel", channel).encode());
          })
          .onFailure(e -> {
            m.problem("connect failed: " + e);
            m.subscribed.tryFail(e);
          });
      m.subscribed.future().onComplete(ar -> {
        if (done.incrementAndGet() == count) {
          all.tryComplete();
        } else {
          launch[0].run();
        }
      });
    };
    for (int k = 0; k < Math.min(inFlight, count); k++) {
      vertx.runOnContext(v -> launch[0].run());
    }
    try {
      all.future().await(timeoutSeconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      crowd.close();
      throw new AssertionError("subscribers not all subscribed within " + timeoutSeconds + " s: " + e + "; " + crowd.problems, e);
    }
    if (!crowd.problems.isEmpty()) {
      crowd.close();
      throw new AssertionError("subscribers failed: " + crowd.problems);
    }
    return crowd;
  }

  private synchronized WebSocketClient client(Vertx vertx, int index) {
    int source = index / PER_SOURCE_ADDRESS;
    while (clients.size() <= source) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions().setLocalAddress("127.0.0." + (clients.size() + 1))
          .setMaxConnections(1_000_000).setConnectTimeout(20_000)));
    }
    return clients.get(source);
  }

  public int size() {
    return members.size();
  }

  /** True once every subscriber got at least {@code messages} messages. */
  public boolean allReceived(int messages) {
    return members.stream().allMatch(m -> m.messages.get() >= messages);
  }

  /** Messages received, summed over the subscribers. */
  public long delivered() {
    return members.stream().mapToLong(m -> m.messages.get()).sum();
  }

  /** Gaps, duplicates, errors and unexpected closes seen so far (at most 20). */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  /** Closes every socket (client side) and the clients. */
  @Override
  public void close() {
    closing = true;
    List<Future<?>> closes = new ArrayList<>();
    for (Member m : members) {
      if (m.ws != null) {
        closes.add(m.ws.close());
      }
    }
    try {
      Future.join(closes).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a socket the server closed already
    }
    for (WebSocketClient c : clients) {
      c.close();
    }
  }
}
