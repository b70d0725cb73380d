package dev.apexpulse.reliability;

import dev.apexpulse.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Soak: a node in this JVM under steady connections, churn (connections closed and opened, half of
 * them resubscribing with since) and publishes, sampled for heap after GC and RSS. Outside CI:
 * {@code loadtest/soak.sh 30} (minutes); in CI {@link SoakTest} runs it for under a minute.
 * Fails when heap after GC grows from the first to the last third of the run (after warm-up) by more
 * than the margin, when a client sees an offset twice or out of order, or when the node is not empty
 * once every client is gone.
 */
public final class Soak {
  /** What to run. */
  public record Plan(long seconds, int connections, int channels, int perConnection, int churnPerSecond,
                     int publishesPerSecond, int sampleSeconds) {
    static Plan fromProperties() {
      return new Plan(Long.getLong("soak.seconds", 600), Integer.getInteger("soak.connections", 500),
          Integer.getInteger("soak.channels", 100), Integer.getInteger("soak.perConnection", 3),
          Integer.getInteger("soak.churn", 10), Integer.getInteger("soak.publishes", 200),
          Integer.getInteger("soak.sampleSeconds", 15));
    }
  }

  /** One sample. */
  public record Sample(long second, long heapAfterGc, long rss, int connections, double subscriptions, int channels,
                       int rings, long published, long delivered) {
    String line() {
      return String.format(Locale.ROOT, "%6d s  heap after GC %6.1f MB  RSS %6.1f MB  connections %5d  subscriptions %6.0f"
              + "  channels %4d  history rings %4d  published %9d  delivered %10d",
          second, heapAfterGc / 1048576.0, rss / 1048576.0, connections, subscriptions, channels, rings, published, delivered);
    }
  }

  /** The outcome. */
  public record Result(List<Sample> samples, long problems, List<String> firstProblems, long churned,
                       long heapAfterAllLeft, Sample warm, Sample end) {
    /** Mean heap after GC over the first and the last third of the samples after warm-up (the first sample). */
    long[] thirds() {
      List<Sample> s = samples.subList(1, samples.size());
      int n = s.size() / 3;
      return new long[] {mean(s.subList(0, Math.max(1, n))), mean(s.subList(s.size() - Math.max(1, n), s.size()))};
    }

    private static long mean(List<Sample> s) {
      return (long) s.stream().mapToLong(Sample::heapAfterGc).average().orElse(0);
    }
  }

  private final Plan plan;
  private final SplittableRandom random = new SplittableRandom(42);
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong problems = new AtomicLong();
  private final List<String> firstProblems = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong acked = new AtomicLong();

  public Soak(Plan plan) {
    this.plan = plan;
  }

  public static void main(String[] args) throws Exception {
    Plan plan = Plan.fromProperties();
    Result r = new Soak(plan).run(System.out);
    long[] t = r.thirds();
    boolean grew = t[1] - t[0] > margin(t[0]);
    System.out.printf(Locale.ROOT, "soak: heap after GC, first third %.1f MB, last third %.1f MB (margin %.1f MB): %s; "
            + "%d problems seen by clients%n", t[0] / 1048576.0, t[1] / 1048576.0, margin(t[0]) / 1048576.0,
        grew ? "GROWTH" : "no growth", r.problems());
    System.exit(grew || r.problems() > 0 ? 1 : 0);
  }

  /** Growth allowed between the first and last thirds: 16 MB or 25 %, whichever is more. */
  static long margin(long base) {
    return Math.max(16L << 20, base / 4);
  }

  public Result run(java.io.PrintStream out) throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("instances", 2);
    config.put("limits", new JsonObject().put("maxConnections", plan.connections * 2 + 100)
        .put("apiRate", 100_000).put("apiBurst", 100_000).put("frameRate", 10_000).put("frameBurst", 10_000));
    out.printf("soak: %d s, %d connections x %d of %d channels, churn %d/s, %d publishes/s, a sample every %d s (max heap %d MB)%n",
        plan.seconds, plan.connections, plan.perConnection, plan.channels, plan.churnPerSecond, plan.publishesPerSecond,
        plan.sampleSeconds, Runtime.getRuntime().maxMemory() >> 20);
    List<Sample> samples = new ArrayList<>();
    long churned = 0;
    Vertx clients = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try (TestNode node = TestNode.start(config)) {
      WebSocketClient wsClient = clients.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20).setMaxConnections(100_000));
      List<Client> open = new ArrayList<>();
      for (int i = 0; i < plan.connections; i++) {
        open.add(new Client(node, wsClient, "u" + i, false));
      }
      List<Client> publishers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        publishers.add(new Client(node, wsClient, "publisher" + i, true));
      }
      long start = System.nanoTime();
      long nextSample = 0;
      long nextChurn = 1;
      long publishedSoFar = 0;
      int publisher = 0;
      while (true) {
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (elapsedMillis >= plan.seconds * 1000) {
          break;
        }
        // publishes, spread over the second in 20 ms steps
        long due = elapsedMillis * plan.publishesPerSecond / 1000;
        while (publishedSoFar < due) {
          publishers.get(publisher++ % publishers.size()).publish("soak/" + random.nextInt(plan.channels), publishedSoFar);
          publishedSoFar++;
        }
        if (elapsedMillis / 1000 >= nextChurn) {
          nextChurn++;
          for (int k = 0; k < plan.churnPerSecond; k++) {
            int at = random.nextInt(open.size());
            Client gone = open.get(at);
            gone.close();
            open.set(at, gone.successor(random.nextBoolean()));
            churned++;
          }
        }
        if (elapsedMillis / 1000 >= nextSample) {
          nextSample += plan.sampleSeconds;
          Sample s = sample(node, elapsedMillis / 1000);
          samples.add(s);
          out.println(s.line());
        }
        Thread.sleep(20);
      }
      samples.add(sample(node, plan.seconds));
      out.println(samples.get(samples.size() - 1).line());
      for (Client c : open) {
        c.close();
      }
      for (Client c : publishers) {
        c.close();
      }
      NodeState.assertEmpty(node);
      long afterAll = heapAfterGc();
      out.printf(Locale.ROOT, "soak: every client gone: heap after GC %.1f MB, node empty; %d connections churned, %d publishes"
          + " acknowledged, %d messages delivered, %d problems%n", afterAll / 1048576.0, churned, acked.get(), delivered.get(), problems.get());
      return new Result(samples, problems.get(), List.copyOf(firstProblems), churned, afterAll, samples.get(1 % samples.size()),
          samples.get(samples.size() - 1));
    } finally {
      clients.close().await(10, TimeUnit.SECONDS);
    }
  }

  private Sample sample(TestNode node, long second) {
    long heap = heapAfterGc();
    int rings = (int) node.node.metrics().registry().get("pulse_history_channels").gauge().value();
    return new Sample(second, heap, rss(), NodeState.connections(node), NodeState.subscriptions(node),
        NodeState.channels(node), rings, acked.get(), delivered.get());
  }

  static long heapAfterGc() {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  /** Resident set size of this process (Linux), or -1. */
  static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  private void problem(String p) {
    problems.incrementAndGet();
    if (firstProblems.size() < 20) {
      firstProblems.add(p);
    }
  }

  /** A subscriber (or publisher) socket: checks its offsets per channel only ever grow. */
  private final class Client {
    private final TestNode node;
    private final WebSocketClient client;
    private final String user;
    private final boolean publisher;
    private final Map<String, long[]> lastByChannel = new HashMap<>();
    private final Map<String, String> epochs = new HashMap<>();
    private final List<String> channels = new ArrayList<>();
    private volatile WebSocket ws;
    private long ids;

    Client(TestNode node, WebSocketClient client, String user, boolean publisher) throws Exception {
      this(node, client, user, publisher, null);
    }

    private Client(TestNode node, WebSocketClient client, String user, boolean publisher, Client since) throws Exception {
      this.node = node;
      this.client = client;
      this.user = user;
      this.publisher = publisher;
      if (!publisher) {
        if (since != null) {
          channels.addAll(since.channels);
        } else {
          while (channels.size() < plan.perConnection) {
            String ch = "soak/" + random.nextInt(plan.channels);
            if (!channels.contains(ch)) {
              channels.add(ch);
            }
          }
        }
      }
      String token = node.token(user, new JsonArray().add("soak/**"), new JsonArray().add(publisher ? "soak/**" : "none"));
      ws = client.connect(new WebSocketConnectOptions().setAbsoluteURI(node.wsUrl("token=" + token)).setAllowOriginHeader(false))
          .await(20, TimeUnit.SECONDS);
      ws.textMessageHandler(this::onText);
      for (String ch : channels) {
        JsonObject sub = new JsonObject().put("type", "subscribe").put("id", ++ids).put("channel", ch);
        synchronized (this) {
          if (since != null && since.epochs.containsKey(ch)) {
            sub.put("since", new JsonObject().put("offset", since.lastByChannel.get(ch)[0]).put("epoch", since.epochs.get(ch)));
            lastByChannel.put(ch, new long[] {since.lastByChannel.get(ch)[0]});
          }
        }
        ws.writeTextMessage(sub.encode());
      }
    }

    /** A new connection for the same user, resubscribing to the same channels (with since, or from now). */
    Client successor(boolean withSince) throws Exception {
      return new Client(node, client, user, false, withSince ? this : null);
    }

    private synchronized void onText(String text) {
      JsonObject f = new JsonObject(text);
      switch (f.getString("type")) {
        case "subscribed" -> {
          epochs.put(f.getString("channel"), f.getString("epoch"));
          long[] last = lastByChannel.computeIfAbsent(f.getString("channel"), k -> new long[] {f.getLong("offset")});
          if (!f.getBoolean("recovered")) {
            last[0] = f.getLong("offset");
          }
        }
        case "message" -> {
          long[] last = lastByChannel.get(f.getString("channel"));
          long o = f.getLong("offset");
          if (last == null) {
            problem(user + ": message before subscribed on " + f.getString("channel"));
          } else {
            if (o <= last[0]) {
              problem(user + ": offset " + o + " after " + last[0] + " on " + f.getString("channel"));
            }
            last[0] = o;
          }
          delivered.incrementAndGet();
        }
        case "ack" -> acked.incrementAndGet();
        case "welcome", "join", "leave", "pong" -> { }
        default -> problem(user + ": " + text);
      }
    }

    void publish(String channel, long n) {
      ws.writeTextMessage(new JsonObject().put("type", "publish").put("channel", channel)
          .put("data", new JsonObject().put("n", n).put("pad", "x".repeat(100))).encode());
    }

    void close() {
      try {
        ws.close().await(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // gone already
      }
    }
  }
}
