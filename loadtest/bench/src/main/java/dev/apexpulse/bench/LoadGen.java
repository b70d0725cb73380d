package dev.apexpulse.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The load generator: WebSocket subscribers (Vert.x clients spread over source addresses 127.0.0.x), or
 * event-stream subscribers (the gateway's {@code GET /sse}, subscribing by {@code POST /sse/<session>}),
 * and an HTTP publisher on its own event loop. Message frames are scanned as bytes, not parsed: the
 * generator shares the two cores with the server it measures.
 */
final class LoadGen implements AutoCloseable {
  static final int MAX_STEPS = 128;
  private static final int PER_SOURCE_ADDRESS = 5000;
  private static final byte[] DATA_STEP = "\"data\":{\"s\":".getBytes();
  private static final byte[] TS = ",\"ts\":".getBytes();
  private static final byte[] RECOVERED = "\"recovered\":true".getBytes();

  /** Where sockets go and how they subscribe; {@code sse}: the gateway's event streams instead of WebSockets. */
  record Endpoint(String host, int port, String wsPathFor0, boolean gateway, boolean sse) {
    Endpoint(String host, int port, String wsPathFor0, boolean gateway) {
      this(host, port, wsPathFor0, gateway, false);
    }
  }

  final Vertx clientVertx;
  final Vertx publisherVertx;
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<WebSocket> sockets = new ArrayList<>();
  private final List<HttpClient> streamClients = new ArrayList<>();
  /** The connections of the open event streams (closed to end them). */
  private final List<HttpConnection> streams = new ArrayList<>();
  private HttpClient postClient;
  final AtomicInteger unexpectedCloses = new AtomicInteger();
  private volatile boolean closing;
  private final ConcurrentLinkedQueue<Stats> allStats = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Stats> stats = ThreadLocal.withInitial(() -> {
    Stats s = new Stats();
    allStats.add(s);
    return s;
  });

  /** Per event-loop thread counters: no sharing in the receive path. */
  static final class Stats {
    final long[] delivered = new long[MAX_STEPS];
    final Hist[] latency = new Hist[MAX_STEPS];
  }

  LoadGen(int clientThreads) {
    clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(clientThreads));
    publisherVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
  }

  private synchronized WebSocketClient client(int index) {
    int source = index / PER_SOURCE_ADDRESS;
    while (clients.size() <= source) {
      String local = "127.0.0." + (clients.size() + 1);
      clients.add(clientVertx.createWebSocketClient(new WebSocketClientOptions()
          .setLocalAddress(local).setMaxConnections(1_000_000).setConnectTimeout(20_000)
          .setTryUsePerMessageCompression(false).setTryUsePerFrameCompression(false)
          .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20)));
    }
    return clients.get(source);
  }

  /** The client for event streams from source address i / 5,000: each stream holds its own connection. */
  private synchronized HttpClient streamClient(int index) {
    int source = index / PER_SOURCE_ADDRESS;
    while (streamClients.size() <= source) {
      String local = "127.0.0." + (streamClients.size() + 1);
      streamClients.add(clientVertx.createHttpClient(new HttpClientOptions().setLocalAddress(local).setConnectTimeout(20_000)
          .setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(1_000_000)));
    }
    return streamClients.get(source);
  }

  /** The client for the streams' POSTs (subscribe frames), a small pool of kept-alive connections. */
  private synchronized HttpClient postClient() {
    if (postClient == null) {
      postClient = clientVertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
          new PoolOptions().setHttp1MaxSize(64));
    }
    return postClient;
  }

  /** Where a resubscribing client left off in its channel: it asks for what followed and awaits {@code replay} messages. */
  record Resume(long offset, String epoch, int replay) { }

  /**
   * Who subscribes: subscriber i goes to channel {@code prefix/(i % channels)} with token {@code token(i)}
   * (gateway only) and, when {@code resume} is given, resubscribes with {@code since} from
   * {@code resume(i % channels)}: it counts as subscribed once {@code recovered:true} and every
   * replayed message arrived.
   */
  record Plan(int count, int channels, String prefix, IntFunction<String> token, IntFunction<Resume> resume) {
    static Plan of(int count, int channels, String prefix, String token) {
      return new Plan(count, channels, prefix, i -> token, null);
    }
  }

  /** One subscriber being opened: done once subscribed and its replay (if any) arrived. */
  private static final class Pending {
    final Promise<Void> subscribed = Promise.promise();
    int replay;
    boolean replied;

    Pending(int replay) {
      this.replay = replay;
    }

    void progress() {
      if (replied && replay <= 0) {
        subscribed.tryComplete();
      }
    }
  }

  /** Opens subscribers with one token, none resubscribing; see {@link #open(List, Plan, int)}. */
  void open(List<Endpoint> endpoints, int count, int channels, String prefix, String token, int inFlight) throws Exception {
    open(endpoints, Plan.of(count, channels, prefix, token), inFlight);
  }

  /**
   * Opens the plan's subscribers, at most {@code inFlight} at a time; subscriber i goes to endpoint
   * i % endpoints. Completes when every one is subscribed (and got its replay).
   */
  void open(List<Endpoint> endpoints, Plan plan, int inFlight) throws Exception {
    int count = plan.count();
    AtomicInteger next = new AtomicInteger(socketCount());
    int first = socketCount();
    int end = first + count;
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<String> errors = new ArrayList<>();
    Promise<Void> all = Promise.promise();
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= end) {
        return;
      }
      Endpoint ep = endpoints.get(i % endpoints.size());
      int c = (i - first) % plan.channels();
      String channel = plan.prefix() + "/" + c;
      Resume resume = plan.resume() == null || !ep.gateway() ? null : plan.resume().apply(c);
      String uri = ep.gateway() ? "/ws?token=" + plan.token().apply(i - first) : "/ws?channel=" + channel;
      Pending pending = new Pending(resume == null ? 0 : resume.replay());
      if (ep.sse()) {
        openStream(ep, i, plan.token().apply(i - first), subscribeFrame(channel, resume), pending);
      } else {
        openSocket(ep, i, uri, ep.gateway() ? subscribeFrame(channel, resume) : null, pending);
      }
      pending.subscribed.future().onComplete(ar -> {
        if (ar.failed()) {
          failed.incrementAndGet();
          synchronized (errors) {
            if (errors.size() < 5) {
              errors.add(ar.cause().toString());
            }
          }
        }
        if (done.incrementAndGet() == count) {
          all.tryComplete();
        } else {
          launch[0].run();
        }
      });
    };
    for (int k = 0; k < Math.min(inFlight, count); k++) {
      clientVertx.runOnContext(v -> launch[0].run());
    }
    all.future().await(Math.max(60, count / 100), TimeUnit.SECONDS);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " of " + count + " subscribers failed: " + errors);
    }
  }

  /** One WebSocket subscriber: connects, then sends {@code subscribe} (the baselines subscribe by URL: null). */
  private void openSocket(Endpoint ep, int i, String uri, String subscribe, Pending pending) {
    client(i).connect(new WebSocketConnectOptions().setHost(ep.host()).setPort(ep.port()).setURI(uri).setAllowOriginHeader(false))
        .onSuccess(ws -> {
          synchronized (sockets) {
            sockets.add(ws);
          }
          ws.handler(b -> onFrame(b, pending));
          ws.closeHandler(v -> {
            pending.subscribed.tryFail("closed by the server before it was subscribed");
            if (!closing) {
              unexpectedCloses.incrementAndGet();
            }
          });
          if (subscribe != null) {
            ws.writeTextMessage(subscribe);
          }
        })
        .onFailure(pending.subscribed::tryFail);
  }

  private static String subscribeFrame(String channel, Resume resume) {
    return "{\"type\":\"subscribe\",\"channel\":\"" + channel + "\""
        + (resume == null ? "" : ",\"since\":{\"offset\":" + resume.offset() + ",\"epoch\":\"" + resume.epoch() + "\"}") + "}";
  }

  /**
   * One event-stream subscriber: GET /sse, then, once the welcome named the session, the subscribe frame
   * POSTed to it; every event's data then goes through {@link #onFrame}, as a WebSocket's frames do.
   */
  private void openStream(Endpoint ep, int i, String token, String subscribe, Pending pending) {
    RequestOptions get = new RequestOptions().setHost(ep.host()).setPort(ep.port()).setMethod(HttpMethod.GET)
        .setURI("/sse?token=" + token);
    streamClient(i).request(get).compose(HttpClientRequest::send).onSuccess(resp -> {
      if (resp.statusCode() != 200) {
        pending.subscribed.tryFail("GET /sse answered " + resp.statusCode());
        return;
      }
      HttpConnection conn = resp.request().connection();
      synchronized (streams) {
        streams.add(conn);
      }
      Runnable ended = () -> {
        pending.subscribed.tryFail("stream ended before it was subscribed");
        if (!closing) {
          unexpectedCloses.incrementAndGet();
        }
      };
      resp.endHandler(v -> ended.run());
      resp.exceptionHandler(e -> ended.run());
      boolean[] welcomed = {false};
      resp.handler(new EventSplitter(data -> {
        if (welcomed[0]) {
          onFrame(data, pending);
          return;
        }
        welcomed[0] = true;
        String welcome = data.toString();
        int at = welcome.indexOf("\"session\":\"");
        if (at < 0) {
          pending.subscribed.tryFail("no session in " + welcome);
          return;
        }
        String session = welcome.substring(at + 11, welcome.indexOf('"', at + 11));
        RequestOptions post = new RequestOptions().setHost(ep.host()).setPort(ep.port()).setMethod(HttpMethod.POST)
            .setURI("/sse/" + session).putHeader("Content-Type", "application/json");
        postClient().request(post).compose(req -> req.send(subscribe)).onComplete(ar -> {
          if (ar.failed() || ar.result().statusCode() != 202) {
            pending.subscribed.tryFail("subscribe POST: " + (ar.failed() ? ar.cause() : "HTTP " + ar.result().statusCode()));
          }
        });
      })::feed);
    }).onFailure(pending.subscribed::tryFail);
  }

  /** Cuts an event stream into its events and hands on each one's data (one {@code data:} line each). */
  private static final class EventSplitter {
    private static final int DATA = "data: ".length();
    private final java.util.function.Consumer<Buffer> events;
    private Buffer rest;

    EventSplitter(java.util.function.Consumer<Buffer> events) {
      this.events = events;
    }

    void feed(Buffer chunk) {
      Buffer b = rest == null ? chunk : rest.appendBuffer(chunk);
      rest = null;
      int start = 0;
      int n = b.length();
      for (int i = 0; i + 1 < n; i++) {
        if (b.getByte(i) == '\n' && b.getByte(i + 1) == '\n') {
          if (b.getByte(start) == 'd') { // data: …; comment lines (heartbeats) start with ':'
            events.accept(b.slice(start + DATA, i));
          }
          start = i + 2;
          i++;
        }
      }
      if (start < n) {
        rest = Buffer.buffer().appendBuffer(b, start, n - start);
      }
    }
  }

  private void onFrame(Buffer b, Pending pending) {
    // {"type":"message",… : byte 9 is 'm'; {"type":"subscribed",… : 's' then 'u'
    if (b.length() < 12) {
      return;
    }
    byte t = b.getByte(9);
    if (t == 'm') {
      if (pending.replay > 0 && pending.replied) {
        pending.replay--;
        pending.progress();
        return;
      }
      int at = indexOf(b, DATA_STEP, 20);
      if (at < 0) {
        return;
      }
      int p = at + DATA_STEP.length;
      int step = 0;
      byte c;
      while ((c = b.getByte(p)) >= '0' && c <= '9') {
        step = step * 10 + (c - '0');
        p++;
      }
      long ts = 0;
      if (indexAt(b, TS, p)) {
        p += TS.length;
        while ((c = b.getByte(p)) >= '0' && c <= '9') {
          ts = ts * 10 + (c - '0');
          p++;
        }
      }
      if (step >= MAX_STEPS) {
        return;
      }
      Stats s = stats.get();
      s.delivered[step]++;
      Hist h = s.latency[step];
      if (h == null) {
        h = s.latency[step] = new Hist();
      }
      h.record((System.nanoTime() - ts) / 1000);
    } else if (t == 's' && b.getByte(10) == 'u') {
      if (pending.replay > 0 && indexOf(b, RECOVERED, 20) < 0) {
        pending.subscribed.tryFail("not recovered: " + b);
        return;
      }
      pending.replied = true;
      pending.progress();
    } else if (t == 'e') {
      pending.subscribed.tryFail(b.toString());
    }
  }

  private static int indexOf(Buffer b, byte[] pat, int from) {
    int last = b.length() - pat.length;
    for (int i = from; i <= last; i++) {
      if (indexAt(b, pat, i)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean indexAt(Buffer b, byte[] pat, int at) {
    if (at + pat.length > b.length()) {
      return false;
    }
    for (int j = 0; j < pat.length; j++) {
      if (b.getByte(at + j) != pat[j]) {
        return false;
      }
    }
    return true;
  }

  long delivered(int step) {
    long n = 0;
    for (Stats s : allStats) {
      n += s.delivered[step];
    }
    return n;
  }

  Hist latency(int step) {
    Hist h = new Hist();
    for (Stats s : allStats) {
      Hist x = s.latency[step];
      if (x != null) {
        h.add(x);
      }
    }
    return h;
  }

  int socketCount() {
    synchronized (sockets) {
      synchronized (streams) {
        return sockets.size() + streams.size();
      }
    }
  }

  /** Closes every subscriber (client side) and waits a moment for the closes to go out. */
  void closeAll() throws InterruptedException {
    closing = true;
    List<WebSocket> all;
    synchronized (sockets) {
      all = new ArrayList<>(sockets);
      sockets.clear();
    }
    List<HttpConnection> open;
    synchronized (streams) {
      open = new ArrayList<>(streams);
      streams.clear();
    }
    for (WebSocket ws : all) {
      ws.close();
    }
    List<Future<Void>> closingStreams = new ArrayList<>();
    for (HttpConnection c : open) {
      closingStreams.add(c.close());
    }
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline && (all.stream().anyMatch(ws -> !ws.isClosed())
        || closingStreams.stream().anyMatch(f -> !f.isComplete()))) {
      Thread.sleep(100);
    }
    Thread.sleep(500);
    closing = false;
  }

  /** What one publishing step did. */
  record Published(long messages, long errors, double seconds, String firstError) { }

  /**
   * Publishes {@code rate} messages per second for {@code seconds}, round-robin over the channels,
   * in HTTP batches every 10 ms; data carries the step number and the send time for the receivers.
   */
  Published publish(Endpoint ep, String path, String auth, String prefix, int channels, int step, double rate,
                    double seconds, String pad) throws Exception {
    HttpClient http = publisherVertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setDefaultHost(ep.host()).setDefaultPort(ep.port()), new PoolOptions().setHttp1MaxSize(8));
    Promise<Published> result = Promise.promise();
    publisherVertx.runOnContext(v -> {
      long t0 = System.nanoTime();
      long[] sent = {0, 0, 0}; // messages, errors, in flight
      int[] nextChannel = {0};
      String[] firstError = {null};
      long[] timer = {0};
      timer[0] = publisherVertx.setPeriodic(10, id -> {
        double elapsed = (System.nanoTime() - t0) / 1e9;
        boolean over = elapsed >= seconds;
        if (!over && sent[2] < 32) {
          long due = (long) (rate * elapsed) - sent[0];
          while (due > 0 && sent[2] < 32) {
            int n = (int) Math.min(due, 1000);
            StringBuilder body = new StringBuilder(n * (pad.length() + 90) + 20).append("{\"messages\":[");
            long now = System.nanoTime();
            for (int k = 0; k < n; k++) {
              if (k > 0) {
                body.append(',');
              }
              body.append("{\"channel\":\"").append(prefix).append('/').append(nextChannel[0]).append("\",\"data\":{\"s\":")
                  .append(step).append(",\"ts\":").append(now).append(",\"seq\":").append(sent[0] + k)
                  .append(",\"pad\":\"").append(pad).append("\"}}");
              nextChannel[0] = (nextChannel[0] + 1) % channels;
            }
            body.append("]}");
            sent[0] += n;
            due -= n;
            sent[2]++;
            RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
                .putHeader("Content-Type", "application/json");
            if (auth != null) {
              ro.putHeader("Authorization", auth);
            }
            http.request(ro).compose(req -> req.send(body.toString())).compose(resp -> resp.body().map(b -> {
              if (resp.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + resp.statusCode() + ": " + b);
              }
              return b;
            })).onComplete(ar -> {
              sent[2]--;
              if (ar.failed()) {
                sent[1] += n;
                if (firstError[0] == null) {
                  firstError[0] = ar.cause().getMessage();
                }
              }
            });
          }
        }
        if (over && sent[2] == 0) {
          publisherVertx.cancelTimer(timer[0]);
          result.complete(new Published(sent[0], sent[1], (System.nanoTime() - t0) / 1e9, firstError[0]));
        }
      });
    });
    try {
      return result.future().await((long) seconds + 60, TimeUnit.SECONDS);
    } finally {
      http.close();
    }
  }

  @Override
  public void close() throws Exception {
    closeAll();
    clientVertx.close().await(20, TimeUnit.SECONDS);
    publisherVertx.close().await(20, TimeUnit.SECONDS);
  }
}
