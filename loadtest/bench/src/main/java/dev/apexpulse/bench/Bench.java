package dev.apexpulse.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.IntFunction;
import java.util.zip.ZipFile;

/**
 * The benchmark: the gateway and its two baselines (bare Vert.x, Node ws), each in its own process,
 * measured in the same run with the same load generator (this process). See loadtest/README.md;
 * run.sh runs it.
 */
public final class Bench {
  private static final String APP = "100";
  /** A second app without presence events, for the users scenario (see {@link #users}). */
  private static final String QUIET_APP = "200";
  private static final String SECRET = "bench-secret-0123456789-0123456789-abcdef";
  private static final String API_KEY = "bench-api-key-0123456789";
  private static final String QUIET_API_KEY = "bench-api-key-quiet-0123456789";
  /** A third app whose channels send Fossil deltas, for the delta scenario only (see {@link #delta}). */
  private static final String DELTA_APP = "300";
  private static final String DELTA_API_KEY = "bench-api-key-delta-0123456789";
  /**
   * The servers measured, in this order: the gateway, the gateway again with every subscriber on an event
   * stream ("gateway-sse": the fallback transport, same process flags), bare Vert.x ("baseline"), Node ws.
   */
  static final List<String> SERVERS = List.of("gateway", "gateway-sse", "baseline", "node-ws");
  static final String SSE = "gateway-sse";
  /** The baselines every ratio is taken against, with the suffix of their keys in the JSON line. */
  private static final Map<String, String> PEERS = new LinkedHashMap<>(Map.of("baseline", ""));

  static {
    PEERS.put("node-ws", "_vs_node_ws");
  }

  // ---- options ----
  private final Map<String, String> opt = new HashMap<>();
  private final boolean smoke;
  private final Path out;
  private final Path gatewayJar;
  private final Path benchJar;
  private final double stepSeconds;
  private final int subs1k;
  private final int subs10k;
  private final int subs10kOne;
  private final double[] rates10kOne;
  /**
   * Scenarios to run: 1k (1,000 subscribers on one channel), 10k-1 (10,000 on one), 10k (over many),
   * storm (connect storm), users (one user's connections vs distinct users', gateway only), delta
   * (bytes per delivery of a dashboard push with and without delta compression, gateway only).
   */
  private final List<String> scenarios;
  private final int channels10k;
  static final String ONE_CHANNEL_10K = "1 channel, 10k";
  static final String CLUSTER_1K = "1 channel, 3 nodes";
  /**
   * JVM flags of the JVM servers. The free-ratio flags let a full GC hand unused heap back, so the RSS
   * after it follows the live data instead of G1's default slack (up to 70 % of the heap free).
   */
  static final String SERVER_JVM = "-Xms64m -Xmx2g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20";
  private final int memConns;
  private final double[] rates1k;
  private final double[] rates10k;
  private final double moderateRate;
  private final boolean jfr;
  private final List<String> serverJvm;
  private final String pad;
  private final Path nodeWs;
  private final int stormConns;
  private final int stormChannels;
  private final int stormReplay;
  private final int stormInFlight;
  private final int usersConns;
  private final double usersRate;
  private final int deltaPushes;

  private final LoadGen gen;
  private final List<Row> rows = new ArrayList<>();
  private final Map<String, Map<String, Object>> summary = new LinkedHashMap<>();
  private int nextStep = 1;
  private String jfrReport;

  /** One measured step. */
  record Row(String server, String scenario, int subs, int channels, double rate, double achieved, long expected,
             long delivered, long errors, int closes, double p50, double p99, double p999, double cpuMs,
             double cpuUsPerMsg, double genCpuPct, boolean clean, double thresholdMs, String note) {
    double deliveriesPerSec(double seconds) {
      return delivered / seconds;
    }
  }

  /** A running server under test: one process, or three clustered nodes. */
  record Target(String name, List<ServerProcess> nodes, List<LoadGen.Endpoint> endpoints, String publishPath, String auth) {
    long cpuTicks() {
      return nodes.stream().mapToLong(ServerProcess::cpuTicks).sum();
    }

    void stop() {
      nodes.forEach(ServerProcess::stop);
    }

    /** The same servers, publishing as another app of the gateway. */
    Target forApp(String app, String apiKey) {
      return new Target(name, nodes, endpoints, "/api/v1/apps/" + app + "/publish", "Bearer " + apiKey);
    }

    String httpBase() {
      return "http://" + endpoints.get(0).host() + ":" + endpoints.get(0).port();
    }
  }

  private Bench(String[] args) throws Exception {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unknown argument " + a);
      }
      String key = a.substring(2);
      boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
      opt.put(key, flag ? "true" : args[++i]);
    }
    smoke = opt.containsKey("smoke");
    out = Path.of(opt.getOrDefault("out", "target/bench")).toAbsolutePath();
    Files.createDirectories(out);
    // a private copy: a broad `pkill -f apex-pulse.jar` elsewhere on a shared machine must not hit it
    Path jar = Path.of(opt.getOrDefault("gateway-jar", "target/apex-pulse.jar")).toAbsolutePath();
    gatewayJar = out.resolve("gateway-under-test.jar");
    if (Files.exists(jar)) {
      Files.copy(jar, gatewayJar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    benchJar = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    stepSeconds = dbl("step-seconds", smoke ? 1 : 5);
    subs1k = num("subs-1k", smoke ? 50 : 1000);
    subs10k = num("subs-10k", smoke ? 200 : 10_000);
    subs10kOne = num("subs-10k-1", smoke ? 0 : 10_000);
    rates10kOne = list("rates-10k-1", "4,8,16,32,64");
    scenarios = Arrays.asList(opt.getOrDefault("scenarios", "1k,10k-1,10k,storm,users,delta").split(","));
    channels10k = num("channels-10k", smoke ? 20 : 1000);
    memConns = num("mem-conns", smoke ? 100 : 19_500);
    rates1k = list("rates-1k", smoke ? "20" : "25,50,100,200,400,800,1600");
    rates10k = list("rates-10k", smoke ? "50" : "250,500,1000,2000,4000,8000,16000");
    moderateRate = dbl("moderate-rate", smoke ? 20 : 100);
    jfr = !smoke && !opt.containsKey("no-jfr");
    serverJvm = Arrays.asList(opt.getOrDefault("server-jvm", SERVER_JVM).trim().split("\\s+"));
    pad = "x".repeat(num("pad", 64));
    nodeWs = opt.containsKey("node-ws") ? Path.of(opt.get("node-ws")).toAbsolutePath() : null;
    stormConns = num("storm-conns", smoke ? 100 : 10_000);
    stormChannels = num("storm-channels", smoke ? 10 : 1000);
    stormReplay = num("storm-replay", smoke ? 2 : 5);
    stormInFlight = num("storm-in-flight", smoke ? 50 : 1000);
    usersConns = num("users-conns", smoke ? 50 : 5000);
    usersRate = dbl("users-rate", 10);
    deltaPushes = num("delta-pushes", smoke ? 20 : 200);
    gen = new LoadGen(num("client-threads", 2));
  }

  public static void main(String[] args) throws Exception {
    Bench b = new Bench(args);
    boolean ok;
    try {
      ok = b.run();
    } finally {
      b.gen.close();
    }
    System.exit(ok ? 0 : 1);
  }

  private boolean run() throws Exception {
    System.out.printf("apex-pulse bench (%s): %d cores, steps of %.0f s; output in %s%n",
        smoke ? "smoke" : "full", Runtime.getRuntime().availableProcessors(), stepSeconds, out);
    if (!Files.exists(gatewayJar)) {
      throw new IllegalStateException("the gateway jar is missing: mvn -B package -DskipTests first");
    }
    List<String> only = Arrays.asList(opt.getOrDefault("only", String.join(",", SERVERS)).split(","));
    for (String server : SERVERS) {
      if (!only.contains(server)) {
        continue;
      }
      String missing = server.equals("node-ws") ? nodeWsMissing() : null;
      if (missing != null) {
        System.out.printf("%n== %s: skipped (%s)%n", server, missing);
        summary.put(server, Map.of("skipped", missing));
        continue;
      }
      measure(server);
    }
    String cluster = "skipped (run with --cluster)";
    if (opt.containsKey("cluster")) {
      cluster = clustered();
    }
    report(cluster);
    if (smoke) {
      // the smoke proves the harness works end to end: both servers delivered everything at the first step
      boolean ok = rows.stream().filter(r -> r.note.isEmpty()).allMatch(r -> r.delivered == r.expected && r.errors == 0)
          && !rows.isEmpty();
      System.out.println(ok ? "bench smoke: OK" : "bench smoke: FAILED (messages lost or publish errors, see the table)");
      return ok;
    }
    return true;
  }

  /** Why the Node ws baseline cannot run here, or null. */
  private String nodeWsMissing() {
    if (nodeWs == null || !Files.exists(nodeWs)) {
      return "no --node-ws script";
    }
    if (!Files.isDirectory(nodeWs.resolveSibling("node_modules").resolve("ws"))) {
      return "npm package ws not installed beside " + nodeWs + " (npm ci there)";
    }
    return null;
  }

  // ---- one server: start, memory, one channel, many channels, storm, users, profile ----

  private void measure(String server) throws Exception {
    Target t = start(server, 1, "");
    Map<String, Object> s = summary.computeIfAbsent(server, k -> new LinkedHashMap<>());
    s.put("start_ms", t.nodes.get(0).startMillis);
    System.out.printf("%n== %s: ready in %d ms (pid %d)%n", server, t.nodes.get(0).startMillis, t.nodes.get(0).pid());
    try {
      if (memConns > 0) {
        memory(t, s);
      }
      if (opt.containsKey("mem-only")) {
        return;
      }
      if (scenarios.contains("1k")) {
        stepped(t, "1 channel", subs1k, 1, rates1k, 100, s, "clean_rate_1k");
        if (jfr && server.equals("gateway")) {
          profile(t);
        }
        gen.closeAll();
      }
      // event streams (the fallback transport) are measured against WebSockets: memory, 1k and 10k only
      boolean sse = server.equals(SSE);
      if (scenarios.contains("10k-1") && subs10kOne > 0 && !sse) {
        // one broadcast is 10,000 writes: p99 ≤ 1 s, as over many channels
        stepped(t, ONE_CHANNEL_10K, subs10kOne, 1, rates10kOne, 1000, s, "clean_rate_10k_1ch");
        gen.closeAll();
      }
      if (scenarios.contains("10k")) {
        stepped(t, channels10k + " channels", subs10k, channels10k, rates10k, 1000, s, "clean_rate_10k");
        gen.closeAll();
      }
      if (scenarios.contains("storm") && stormConns > 0 && !sse) {
        storm(t, s);
      }
      if (scenarios.contains("users") && usersConns > 0 && server.equals("gateway")) {
        users(t, s);
      }
      if (scenarios.contains("delta") && deltaPushes > 0 && server.equals("gateway")) {
        delta(t, s);
      }
    } finally {
      t.stop();
    }
  }

  private Target start(String server, int nodes, String clusterName) throws Exception {
    List<ServerProcess> procs = new ArrayList<>();
    List<LoadGen.Endpoint> eps = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      ports.add(ServerProcess.freePort());
    }
    StringJoiner members = new StringJoiner(",");
    for (int i = 0; i < nodes; i++) {
      members.add("127.0.0.1:" + (26701 + 20 * i));
    }
    for (int i = 0; i < nodes; i++) {
      int port = ports.get(i);
      // the JVM servers share the JVM flags; Node runs with its defaults (plus gc() for the memory probe)
      List<String> cmd = new ArrayList<>();
      if (!server.equals("node-ws")) {
        cmd.add(ServerProcess.javaBin());
        cmd.addAll(serverJvm);
      }
      Map<String, String> env = new HashMap<>();
      if (server.equals("node-ws")) {
        cmd.addAll(List.of("node", "--expose-gc", nodeWs.toString(), Integer.toString(port)));
      } else if (server.equals("baseline")) {
        cmd.addAll(List.of("-cp", benchJar.toString(), BaselineServer.class.getName(), Integer.toString(port)));
      } else {
        if (jfr) {
          cmd.add("-XX:+FlightRecorder");
        }
        cmd.addAll(List.of("-jar", gatewayJar.toString()));
        env.put("PULSE_MODE", "production");
        env.put("PULSE_APP_100_SECRET", SECRET);
        env.put("PULSE_APP_100_API_KEY", API_KEY);
        env.put("PULSE_APP_" + QUIET_APP + "_SECRET", SECRET);
        env.put("PULSE_APP_" + QUIET_APP + "_API_KEY", QUIET_API_KEY);
        env.put("PULSE_APP_" + QUIET_APP + "_PRESENCE_EVENTS", "false");
        env.put("PULSE_APP_" + DELTA_APP + "_SECRET", SECRET);
        env.put("PULSE_APP_" + DELTA_APP + "_API_KEY", DELTA_API_KEY);
        env.put("PULSE_APP_" + DELTA_APP + "_DELTA", "fossil");
        env.put("PULSE_HTTP_HOST", "127.0.0.1");
        env.put("PULSE_HTTP_PORT", Integer.toString(port));
        env.put("PULSE_HTTP_DEMO", "false");
        env.put("PULSE_LIMITS_MAX_CONNECTIONS", "25000");
        env.put("PULSE_LIMITS_API_RATE", "1000000");
        env.put("PULSE_LIMITS_API_BURST", "1000000");
        if (nodes > 1) {
          env.put("PULSE_CLUSTER_ENABLED", "true");
          env.put("PULSE_CLUSTER_NAME", clusterName);
          env.put("PULSE_CLUSTER_PORT", Integer.toString(26701 + 20 * i));
          env.put("PULSE_CLUSTER_PORT_COUNT", "5");
          env.put("PULSE_CLUSTER_MEMBERS", members.toString());
          env.put("PULSE_NODE_ID", "n-bench" + i);
        }
      }
      String name = server + (nodes > 1 ? "-" + i : "");
      // each node in its own directory: its ./data (embedded database) must not be shared
      Path dir = out.resolve(name);
      Files.createDirectories(dir);
      boolean gateway = server.startsWith("gateway");
      try {
        procs.add(ServerProcess.start(name, cmd, env, port, gateway ? "/health/ready" : "/health",
            dir.resolve(name + ".log"), Duration.ofSeconds(120), server.equals("node-ws") ? HeapProbe.NODE : HeapProbe.JVM));
      } catch (Exception e) {
        procs.forEach(ServerProcess::stop);
        throw e;
      }
      eps.add(new LoadGen.Endpoint("127.0.0.1", port, "/ws", gateway, server.equals(SSE)));
    }
    boolean gateway = server.startsWith("gateway");
    return new Target(server, procs, eps, gateway ? "/api/v1/apps/" + APP + "/publish" : "/publish",
        gateway ? "Bearer " + API_KEY : null);
  }

  /** The one token most scenarios share: every subscriber is the same user, "bench". */
  private String token() {
    return token("bench", APP);
  }

  private String token(String sub, String app) {
    long now = System.currentTimeMillis() / 1000;
    String claims = "{\"sub\":\"" + sub + "\",\"app\":\"" + app + "\",\"iat\":" + now + ",\"exp\":" + (now + 6 * 3600)
        + ",\"sub_ch\":[\"bench/**\"],\"pub_ch\":[]}";
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String input = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes()) + "." + b64.encodeToString(claims.getBytes());
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
      return input + "." + b64.encodeToString(mac.doFinal(input.getBytes()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** RSS per idle subscribed connection: RSS after a full GC, before and after opening them. */
  private void memory(Target t, Map<String, Object> s) throws Exception {
    ServerProcess p = t.nodes.get(0);
    // a few connections and messages first, so classes loaded at first use are not counted per connection
    gen.open(t.endpoints, 20, 20, "bench/warm", token(), 20);
    gen.closeAll();
    p.fullGc(!smoke);
    Histogram heapBefore = p.liveHeap();
    long before = p.rssKb();
    long t0 = System.nanoTime();
    String failure = null;
    try {
      gen.open(t.endpoints, memConns, 1000, "bench/idle", token(), 256);
    } catch (Exception e) {
      failure = e.getMessage();
    }
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    int open = gen.socketCount();
    Thread.sleep(2000);
    p.fullGc(!smoke);
    Histogram heapAfter = p.liveHeap();
    long after = p.rssKb();
    double perConn = open == 0 ? Double.NaN : (after - before) * 1024.0 / open;
    double heapPerConn = open == 0 ? Double.NaN : (double) (heapAfter.totalBytes() - heapBefore.totalBytes()) / open;
    System.out.printf("   memory: %d idle subscribed connections (%.0f/s to open): RSS %d -> %d MiB, %.1f KB per connection"
            + " (live heap %.1f KB of it)%s%n", open, open / openSeconds, before / 1024, after / 1024, perConn / 1000,
        heapPerConn / 1000, failure == null ? "" : " (" + failure + ")");
    if (open > 0 && !heapAfter.classes().isEmpty()) {
      List<String> grown = heapAfter.growthPerConnection(heapBefore, open, 40);
      Files.write(out.resolve(t.name + "-heap-per-connection.txt"), grown);
      grown.stream().limit(smoke ? 3 : 12).forEach(line -> System.out.println("     " + line));
    }
    s.put("mem_connections", open);
    s.put("mem_rss_before_kb", before);
    s.put("mem_rss_after_kb", after);
    s.put("mem_bytes_per_conn", Math.round(perConn));
    s.put("mem_heap_bytes_per_conn", Math.round(heapPerConn));
    s.put("connect_per_s", Math.round(open / openSeconds));
    if (failure != null) {
      s.put("mem_failure", failure);
    }
    gen.closeAll();
  }

  /** Opens the subscribers, then publishes at each rate until a step is not clean. */
  private void stepped(Target t, String scenario, int subs, int channels, double[] rates, double thresholdMs,
                       Map<String, Object> s, String key) throws Exception {
    String prefix = "bench/" + (channels == 1 ? "one" : "many") + "-" + Long.toString(System.nanoTime(), 36);
    gen.open(t.endpoints, subs, channels, prefix, token(), 256);
    System.out.printf("   %s: %d subscribers over %d channel(s) on %d node(s)%n", scenario, subs, channels, t.nodes.size());
    Thread.sleep(1000);
    // a warm-up step at the first rate (not in the table): the JIT compiles the fan-out path first
    if (!smoke) {
      step(t, scenario, subs, channels, prefix, rates[0], thresholdMs, "warm-up (not in the table)");
    }
    double best = 0;
    for (double rate : rates) {
      Row r = step(t, scenario, subs, channels, prefix, rate, thresholdMs, "");
      if (!r.clean) {
        break;
      }
      best = rate;
    }
    s.put(key, best);
    s.put(key + "_subs", subs);
    if (channels == 1 && subs == subs1k && rows.stream().noneMatch(r -> r.server.equals(t.name) && r.scenario.equals(scenario)
        && r.rate == moderateRate && r.note.isEmpty())) {
      // the latency figure is wanted at the moderate rate even when an earlier step was not clean
      step(t, scenario, subs, channels, prefix, moderateRate, thresholdMs, "");
    }
  }

  private Row step(Target t, String scenario, int subs, int channels, String prefix, double rate, double thresholdMs,
                   String note) throws Exception {
    int step = nextStep++;
    int subsPerChannel = subs / channels;
    int closes0 = gen.unexpectedCloses.get();
    long cpu0 = t.cpuTicks();
    long self0 = ServerProcess.cpuTicksOf(ProcessHandle.current().pid());
    long wall0 = System.nanoTime();
    LoadGen.Published pub = gen.publish(t.endpoints.get(0), t.publishPath, t.auth, prefix, channels, step, rate, stepSeconds, pad);
    long expected = (pub.messages() - pub.errors()) * subsPerChannel;
    // wait for late deliveries as long as they keep coming (at most 30 s): "lost" must mean lost
    long drainUntil = System.nanoTime() + 30_000_000_000L;
    long last = -1;
    long lastChange = System.nanoTime();
    while (System.nanoTime() < drainUntil) {
      long d = gen.delivered(step);
      if (d >= expected) {
        break;
      }
      if (d != last) {
        last = d;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > 2_000_000_000L) {
        break;
      }
      Thread.sleep(20);
    }
    double wall = (System.nanoTime() - wall0) / 1e9;
    long cpuTicks = t.cpuTicks() - cpu0;
    long selfTicks = ServerProcess.cpuTicksOf(ProcessHandle.current().pid()) - self0;
    long delivered = gen.delivered(step);
    Hist h = gen.latency(step);
    int closes = gen.unexpectedCloses.get() - closes0;
    double cpuMs = cpuTicks * 1000.0 / ServerProcess.CLK_TCK;
    double achieved = pub.messages() / pub.seconds();
    boolean clean = delivered == expected && pub.errors() == 0 && closes == 0 && h.quantileMillis(0.99) <= thresholdMs
        // at a few messages per second one message short of the schedule is more than 5 %
        && (achieved >= 0.95 * rate || pub.messages() >= rate * stepSeconds - 1);
    Row r = new Row(t.name, scenario, subs, channels, rate, achieved, expected, delivered, pub.errors(), closes,
        h.quantileMillis(0.5), h.quantileMillis(0.99), h.quantileMillis(0.999), cpuMs,
        delivered == 0 ? Double.NaN : cpuMs * 1000 / delivered, selfTicks * 1000.0 / ServerProcess.CLK_TCK / 10 / wall,
        clean, thresholdMs, note);
    rows.add(r);
    System.out.printf(Locale.ROOT, "   %-9s %6.0f msg/s (got %7.0f): %9d/%9d delivered (%8.0f/s), p50 %7.2f p99 %7.2f p999 %7.2f ms, "
            + "server CPU %6.0f ms = %6.2f us/msg, generator %3.0f%% CPU, closes %d, errors %d%s%s%n",
        t.name, rate, achieved, delivered, expected, delivered / stepSeconds, r.p50, r.p99, r.p999, cpuMs, r.cpuUsPerMsg,
        r.genCpuPct, closes, pub.errors(), clean ? "  clean" : "  NOT CLEAN", pub.firstError() == null ? "" : " (" + pub.firstError() + ")");
    return r;
  }

  // ---- connect storm ----

  /**
   * A reconnect storm: {@code stormConns} clients connect at once (at most {@code stormInFlight} in
   * flight), over {@code stormChannels} channels. A gateway client has its own token (a distinct
   * user), authenticates with it, resubscribes with {@code since} to a channel whose last
   * {@code stormReplay} messages it missed and counts as back once {@code recovered:true} and the
   * replay arrived. A baseline client only connects and gets its "subscribed" (the bare connect
   * rate). Reports the time until the last client is back and the rate.
   */
  private void storm(Target t, Map<String, Object> s) throws Exception {
    boolean gateway = t.endpoints.get(0).gateway();
    String prefix = "bench/storm-" + Long.toString(System.nanoTime(), 36);
    IntFunction<LoadGen.Resume> resume = gateway && stormReplay > 0 ? missed(t, prefix, stormChannels, stormReplay) : null;
    String[] tokens = new String[stormConns];
    for (int i = 0; gateway && i < stormConns; i++) {
      tokens[i] = token("storm-" + i, APP);
    }
    long cpu0 = t.cpuTicks();
    long t0 = System.nanoTime();
    String failure = null;
    try {
      gen.open(t.endpoints, new LoadGen.Plan(stormConns, stormChannels, prefix, i -> tokens[i], resume), stormInFlight);
    } catch (Exception e) {
      failure = e.getMessage();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpuMs = (t.cpuTicks() - cpu0) * 1000.0 / ServerProcess.CLK_TCK;
    int open = gen.socketCount();
    System.out.printf(Locale.ROOT, "   storm: %d clients over %d channels, %d in flight, %s: all back in %.0f ms = %.0f/s;"
            + " server CPU %.0f ms = %.0f us per client%s%n", open, stormChannels, stormInFlight,
        gateway ? "distinct tokens, since, " + stormReplay + " replayed each" : "bare connect", seconds * 1000, open / seconds,
        cpuMs, cpuMs * 1000 / Math.max(1, open), failure == null ? "" : " (" + failure + ")");
    s.put("storm_connections", open);
    s.put("storm_in_flight", stormInFlight);
    s.put("storm_replayed_each", gateway ? stormReplay : 0);
    s.put("storm_ms", Math.round(seconds * 1000));
    s.put("storm_per_s", Math.round(open / seconds));
    s.put("storm_cpu_us_per_conn", round(cpuMs * 1000 / Math.max(1, open)));
    if (failure != null) {
      s.put("storm_failure", failure);
    }
    gen.closeAll();
  }

  /**
   * Publishes {@code replay} messages to each channel (not timed) and returns, per channel, where a
   * client that missed them left off: the offset before them and the channel's epoch.
   */
  private IntFunction<LoadGen.Resume> missed(Target t, String prefix, int channels, int replay) throws Exception {
    long[] last = new long[channels];
    int total = channels * replay;
    for (int from = 0; from < total; from += 1000) {
      JsonArray messages = new JsonArray();
      for (int k = from; k < Math.min(from + 1000, total); k++) {
        messages.add(new JsonObject().put("channel", prefix + "/" + (k % channels)).put("data", new JsonObject().put("missed", k)));
      }
      JsonObject r = http(t, "POST", t.publishPath, t.auth, new JsonObject().put("messages", messages).encode());
      for (int k = 0; k < messages.size(); k++) {
        int c = (from + k) % channels;
        last[c] = Math.max(last[c], r.getJsonArray("results").getJsonObject(k).getLong("offset"));
      }
    }
    String[] epochs = new String[channels];
    for (int c = 0; c < channels; c++) {
      epochs[c] = http(t, "GET", "/api/v1/apps/" + APP + "/history?limit=1&channel=" + prefix + "/" + c, t.auth, null).getString("epoch");
    }
    return c -> new LoadGen.Resume(last[c] - replay, epochs[c], replay);
  }

  /** A control request to node 0 (not measured); a status other than 200 fails the benchmark. */
  private static JsonObject http(Target t, String method, String path, String auth, String body) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(t.httpBase() + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", auth).header("Content-Type", "application/json");
    HttpResponse<String> r = ServerProcess.HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body());
  }

  // ---- users: one user's connections vs distinct users ----

  /**
   * {@code usersConns} connections on one channel, first all of one user ("a wall of dashboards
   * under one service account"), then each of its own user: the time until all are subscribed, until
   * presence counts them all (presence is written after the "subscribed" reply), the server CPU
   * spent connecting, and CPU per delivery at {@code usersRate}. Runs in app 200, which has presence
   * events off: with them, every distinct user's join is a frame to every subscriber already there
   * (12.5 million frames for 5,000 users), which would hide the presence store's own cost.
   */
  private void users(Target t, Map<String, Object> s) throws Exception {
    Target quiet = t.forApp(QUIET_APP, QUIET_API_KEY);
    // both paths once before measuring, so the first case does not pay for the JIT alone
    String warm = token("warm", QUIET_APP);
    gen.open(quiet.endpoints, new LoadGen.Plan(200, 1, "bench/users-warm", i -> i % 2 == 0 ? warm : token("warm-" + i, QUIET_APP), null), 64);
    gen.closeAll();
    for (String who : List.of("one", "distinct")) {
      String prefix = "bench/users-" + who + "-" + Long.toString(System.nanoTime(), 36);
      String channel = prefix + "/0";
      String[] tokens = new String[usersConns];
      String wall = token("wall", QUIET_APP);
      for (int i = 0; i < usersConns; i++) {
        tokens[i] = who.equals("one") ? wall : token("user-" + i, QUIET_APP);
      }
      String scenario = "1 channel, " + (who.equals("one") ? "one user" : "distinct users");
      long cpu0 = t.cpuTicks();
      long t0 = System.nanoTime();
      String failure = null;
      try {
        gen.open(quiet.endpoints, new LoadGen.Plan(usersConns, 1, prefix, i -> tokens[i], null), 256);
      } catch (Exception e) {
        failure = e.getMessage();
      }
      long subscribedMs = (System.nanoTime() - t0) / 1_000_000;
      long presenceMs = awaitPresence(quiet, channel, gen.socketCount(), t0);
      double connectCpuMs = (t.cpuTicks() - cpu0) * 1000.0 / ServerProcess.CLK_TCK;
      System.out.printf(Locale.ROOT, "   %s: %d connections on %d node(s): all subscribed in %d ms, in presence in %s, server CPU %.0f ms%s%n",
          scenario, gen.socketCount(), t.nodes.size(), subscribedMs, presenceMs < 0 ? "(not within the wait)" : presenceMs + " ms",
          connectCpuMs, failure == null ? "" : " (" + failure + ")");
      if (!smoke) {
        step(quiet, scenario, usersConns, 1, prefix, usersRate, 1000, "warm-up (not in the table)");
      }
      Row r = step(quiet, scenario, usersConns, 1, prefix, usersRate, 1000, "");
      String k = "users_" + who + "_";
      s.put(k + "connections", gen.socketCount());
      s.put(k + "subscribed_ms", subscribedMs);
      s.put(k + "presence_ms", presenceMs);
      s.put(k + "connect_cpu_ms", Math.round(connectCpuMs));
      s.put(k + "cpu_us_per_delivery", round(r.cpuUsPerMsg));
      s.put(k + "clean", r.clean);
      if (failure != null) {
        s.put(k + "failure", failure);
      }
      gen.closeAll();
      // the leaves are presence writes too: let them finish before the next case is measured
      awaitPresence(quiet, channel, 0, System.nanoTime());
    }
  }

  /** Polls presence until the channel counts {@code connections}; ms since {@code t0}, or -1 after the wait. */
  private long awaitPresence(Target t, String channel, int connections, long t0) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(Math.max(60, connections / 50)).toNanos();
    String path = "/api/v1/apps/" + QUIET_APP + "/presence?channel=" + channel;
    while (System.nanoTime() < deadline) {
      if (http(t, "GET", path, t.auth, null).getInteger("connections") == connections) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      Thread.sleep(100);
    }
    return -1;
  }

  /** One extra step on the 1,000-subscriber channel with a JFR recording (not in the table). */
  private void profile(Target t) throws Exception {
    ServerProcess p = t.nodes.get(0);
    Object best = summary.get("gateway").get("clean_rate_1k");
    double rate = best instanceof Double d && d > 0 ? d : moderateRate;
    String prefix = "bench/one-profile";
    gen.closeAll();
    gen.open(t.endpoints, subs1k, 1, prefix, token(), 256);
    Path file = out.resolve("gateway-1k.jfr");
    Files.deleteIfExists(file);
    p.jcmd("JFR.start", "name=bench", "settings=profile", "filename=" + file);
    step(t, "1 channel", subs1k, 1, prefix, rate, 100, "JFR profile step (not in the table)");
    p.jcmd("JFR.stop", "name=bench");
    jfrReport = "JFR of the gateway, " + subs1k + " subscribers on one channel at " + rate + " msg/s:\n" + JfrHotspots.report(file, 15);
    Files.writeString(out.resolve("jfr-hotspots.txt"), jfrReport);
    System.out.println(jfrReport);
  }

  // ---- delta: bytes per delivery of a dashboard push ----

  /** {@link DeltaBytes} in app 300 (delta: fossil), so no other scenario's channels hand on deltas. */
  private void delta(Target t, Map<String, Object> s) throws Exception {
    String channel = "bench/delta-" + Long.toString(System.nanoTime(), 36);
    LoadGen.Endpoint ep = t.endpoints.get(0);
    String wsUrl = "ws://" + ep.host() + ":" + ep.port() + "/ws?token=" + token("delta", DELTA_APP);
    Target app = t.forApp(DELTA_APP, DELTA_API_KEY);
    DeltaBytes.Result r = DeltaBytes.run(gen.clientVertx, wsUrl, channel, data -> {
      try {
        return http(app, "POST", app.publishPath, app.auth, new JsonObject().put("channel", channel).put("data", data).encode())
            .getJsonArray("results").getJsonObject(0).getLong("offset");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, deltaPushes);
    System.out.printf(Locale.ROOT, "   delta: %d pushes of a %d-byte dashboard, one number changed each: %.0f bytes per delivery"
            + " in full, %.0f with deltas (%d deltas of %.0f bytes each, the rest in full) = %.1f %% (target <= 10 %%)%n",
        r.pushes(), r.dashboardBytes(), (double) r.fullBytes() / r.pushes(), (double) r.deltaBytes() / r.pushes(), r.deltaFrames(),
        (double) r.deltaFrameBytes() / Math.max(1, r.deltaFrames()), 100 * r.ratio());
    s.put("delta_pushes", r.pushes());
    s.put("delta_dashboard_bytes", r.dashboardBytes());
    s.put("delta_full_bytes_per_delivery", round((double) r.fullBytes() / r.pushes()));
    s.put("delta_bytes_per_delivery", round((double) r.deltaBytes() / r.pushes()));
    s.put("delta_frames", r.deltaFrames());
    s.put("delta_frame_bytes", round((double) r.deltaFrameBytes() / Math.max(1, r.deltaFrames())));
  }

  // ---- cluster ----

  private String clustered() throws Exception {
    try (ZipFile zip = new ZipFile(gatewayJar.toFile())) {
      if (zip.getEntry("dev/apexpulse/cluster/ClusterEngines.class") == null) {
        System.out.println("\n== cluster: pending: this gateway jar has no clustering (branch 'cluster' not merged)");
        return "pending: gateway jar has no clustering";
      }
    }
    long t0 = System.nanoTime();
    Target t = start("gateway-cluster", 3, "bench-" + Long.toString(System.nanoTime(), 36));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    Map<String, Object> s = summary.computeIfAbsent("cluster", k -> new LinkedHashMap<>());
    s.put("start_ms_3_nodes", ms);
    s.put("start_ms_per_node", t.nodes.stream().map(n -> n.startMillis).toList());
    System.out.printf("%n== cluster: 3 nodes ready in %d ms; publisher on node 0, subscribers on all%n", ms);
    try {
      Thread.sleep(3000); // let the event-bus subscriptions spread
      stepped(t, CLUSTER_1K, subs1k, 1, rates1k, 100, s, "clean_rate_1k");
      gen.closeAll();
      if (scenarios.contains("users") && usersConns > 0) {
        users(t, s);
      }
    } finally {
      t.stop();
    }
    return "measured";
  }

  // ---- report ----

  private void report(String cluster) throws Exception {
    StringBuilder md = new StringBuilder();
    md.append("| server | scenario | subs | rate msg/s | achieved | deliveries/s | delivered/expected | p50 ms | p99 ms | p999 ms | server CPU ms | CPU µs/delivery | clean |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Row r : rows) {
      if (!r.note.isEmpty()) {
        continue;
      }
      md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.0f | %.0f | %.0f | %d/%d | %.2f | %.2f | %.2f | %.0f | %.2f | %s |%n",
          r.server, r.scenario, r.subs, r.rate, r.achieved, r.delivered / stepSeconds, r.delivered, r.expected, r.p50, r.p99,
          r.p999, r.cpuMs, r.cpuUsPerMsg, r.clean ? "yes" : "**no**" + (r.closes > 0 ? " (" + r.closes + " closed)" : "")
              + (r.p99 > r.thresholdMs ? " (p99)" : "") + (r.delivered < r.expected ? " (lost)" : "")));
    }
    Map<String, Object> ratios = new LinkedHashMap<>();
    PEERS.forEach((peer, suffix) -> peerRatios(peer, suffix, ratios));
    sseRatios(ratios);
    Map<String, Object> latency = new LinkedHashMap<>();
    for (String server : SERVERS) {
      Row m = find(server, "1 channel", moderateRate);
      if (m != null) {
        latency.put(server, Map.of("p50", round(m.p50), "p99", round(m.p99), "p999", round(m.p999)));
      }
    }
    // cluster against the single node: clean rate, and p99 at the highest rate both handled cleanly
    Object cr = summary.getOrDefault("cluster", Map.of()).get("clean_rate_1k");
    Object sr = summary.getOrDefault("gateway", Map.of()).get("clean_rate_1k");
    if (cr instanceof Double c && sr instanceof Double g && g > 0) {
      ratios.put("cluster_clean_rate_1k_vs_single", round(c / g));
    }
    for (Row c : rows) {
      Row single = find("gateway", "1 channel", c.rate);
      if (c.server.equals("gateway-cluster") && c.scenario.equals(CLUSTER_1K) && c.clean && single != null && single.clean) {
        ratios.put("cluster_p99_minus_single_ms_at_" + (long) c.rate, round(c.p99 - single.p99));
      }
    }
    // one user's connections against distinct users' (same count, same channel), single node and cluster
    for (String where : List.of("gateway", "cluster")) {
      Map<String, Object> w = summary.getOrDefault(where, Map.of());
      for (String measure : List.of("subscribed_ms", "presence_ms", "connect_cpu_ms", "cpu_us_per_delivery")) {
        if (w.get("users_one_" + measure) instanceof Number one && w.get("users_distinct_" + measure) instanceof Number distinct
            && one.doubleValue() >= 0 && distinct.doubleValue() > 0) {
          ratios.put((where.equals("cluster") ? "cluster_" : "") + "users_one_vs_distinct_" + measure,
              round(one.doubleValue() / distinct.doubleValue()));
        }
      }
    }

    // delta compression: bytes per delivery with deltas against without (same pushes, same channel)
    if (summary.getOrDefault("gateway", Map.of()).get("delta_bytes_per_delivery") instanceof Number on
        && summary.get("gateway").get("delta_full_bytes_per_delivery") instanceof Number off && off.doubleValue() > 0) {
      ratios.put("delta_bytes_per_delivery_ratio", Math.round(on.doubleValue() / off.doubleValue() * 10_000) / 10_000.0);
    }

    StringBuilder text = new StringBuilder("\n").append(md).append('\n');
    text.append(String.format(Locale.ROOT, "latency at %.0f msg/s to %d subscribers (publish -> delivery, ms): %s%n", moderateRate, subs1k, latency));
    summary.forEach((k, v) -> text.append(k).append(": ").append(v).append('\n'));
    text.append("ratios (gateway / bare Vert.x \"baseline\"; *_vs_node_ws: gateway / Node ws; sse_*: gateway on event streams / on WebSockets): ")
        .append(ratios).append('\n');
    text.append("cluster: ").append(cluster).append('\n');
    System.out.print(text);
    Files.writeString(out.resolve("table.md"), md);

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "apex-pulse");
    json.put("mode", smoke ? "smoke" : "full");
    json.put("cores", Runtime.getRuntime().availableProcessors());
    json.put("step_seconds", stepSeconds);
    json.put("moderate_latency_ms", latency);
    json.putAll(summary);
    json.put("ratios", ratios);
    json.put("cluster", cluster);
    String line = toJson(json);
    Files.writeString(out.resolve("result.json"), line + "\n");
    System.out.println(line);
  }

  /**
   * Gateway against one baseline: CPU per delivery at the highest rate both handled cleanly in each
   * scenario (same offered load), clean rates, memory and connect rates. Keys end in {@code suffix}.
   */
  private void peerRatios(String peer, String suffix, Map<String, Object> ratios) {
    String tag = peer.equals("baseline") ? "baseline" : peer.replace('-', '_');
    for (String sc : List.of("1 channel", ONE_CHANNEL_10K, channels10k + " channels")) {
      String k = sc.equals("1 channel") ? "1k" : sc.equals(ONE_CHANNEL_10K) ? "10k_1ch" : "10k";
      double common = 0;
      for (Row g : rows) {
        if (g.server.equals("gateway") && g.scenario.equals(sc) && g.clean && g.note.isEmpty()) {
          Row b = find(peer, sc, g.rate);
          if (b != null && b.clean) {
            common = Math.max(common, g.rate);
          }
        }
      }
      boolean bothClean = common > 0;
      if (!bothClean) {
        // no rate was clean for both: compare at the lowest rate both ran (same offered load), flagged
        common = rows.stream().filter(r -> r.scenario.equals(sc) && r.server.equals("gateway") && r.note.isEmpty())
            .mapToDouble(Row::rate).filter(r -> find(peer, sc, r) != null).min().orElse(0);
      }
      Row g = find("gateway", sc, common);
      Row b = find(peer, sc, common);
      if (g != null && b != null) {
        if (!bothClean) {
          ratios.put("cpu_per_delivery_" + k + "_not_clean" + suffix, true);
        }
        ratios.put("cpu_per_delivery_" + k + "_rate" + suffix, common);
        if (suffix.isEmpty()) {
          ratios.put("cpu_us_per_delivery_" + k + "_gateway", round(g.cpuUsPerMsg));
        }
        ratios.put("cpu_us_per_delivery_" + k + "_" + tag, round(b.cpuUsPerMsg));
        ratios.put("cpu_per_delivery_" + k + "_ratio" + suffix, round(g.cpuUsPerMsg / b.cpuUsPerMsg));
      }
      if (summary.getOrDefault("gateway", Map.of()).get("clean_rate_" + k) instanceof Double gd
          && summary.getOrDefault(peer, Map.of()).get("clean_rate_" + k) instanceof Double bd && bd > 0) {
        ratios.put("clean_rate_" + k + "_ratio" + suffix, round(gd / bd));
      }
    }
    // memory per connection; connect rates: while opening the idle connections, and in the storm
    // (the gateway's clients authenticate and resubscribe with recovery, the baseline's only connect)
    for (String[] m : new String[][] {{"mem_bytes_per_conn", "mem_per_conn_ratio"}, {"connect_per_s", "connect_rate_ratio"},
        {"storm_per_s", "storm_rate_ratio"}}) {
      if (summary.getOrDefault("gateway", Map.of()).get(m[0]) instanceof Number a
          && summary.getOrDefault(peer, Map.of()).get(m[0]) instanceof Number c && c.doubleValue() > 0) {
        ratios.put(m[1] + suffix, round(a.doubleValue() / c.doubleValue()));
      }
    }
  }

  /**
   * Event streams against WebSockets, both on the gateway: CPU per delivery at the highest rate both
   * handled cleanly in each scenario (same offered load), memory per connection, connect rate.
   */
  private void sseRatios(Map<String, Object> ratios) {
    for (String sc : List.of("1 channel", channels10k + " channels")) {
      String k = sc.equals("1 channel") ? "1k" : "10k";
      double common = rows.stream().filter(r -> r.server.equals(SSE) && r.scenario.equals(sc) && r.clean)
          .mapToDouble(Row::rate).filter(rate -> find("gateway", sc, rate) != null && find("gateway", sc, rate).clean)
          .max().orElse(0);
      Row sse = find(SSE, sc, common);
      Row ws = find("gateway", sc, common);
      if (sse != null && ws != null) {
        ratios.put("sse_cpu_per_delivery_" + k + "_rate", common);
        ratios.put("cpu_us_per_delivery_" + k + "_sse", round(sse.cpuUsPerMsg));
        ratios.put("sse_cpu_per_delivery_" + k + "_ratio", round(sse.cpuUsPerMsg / ws.cpuUsPerMsg));
      }
    }
    for (String[] m : new String[][] {{"mem_bytes_per_conn", "sse_mem_per_conn_ratio"}, {"mem_heap_bytes_per_conn", "sse_heap_per_conn_ratio"},
        {"connect_per_s", "sse_connect_rate_ratio"}}) {
      if (summary.getOrDefault(SSE, Map.of()).get(m[0]) instanceof Number a
          && summary.getOrDefault("gateway", Map.of()).get(m[0]) instanceof Number w && w.doubleValue() > 0) {
        ratios.put(m[1], round(a.doubleValue() / w.doubleValue()));
      }
    }
  }

  private Row find(String server, String scenario, double rate) {
    return rows.stream().filter(r -> r.server.equals(server) && r.scenario.equals(scenario) && r.rate == rate && r.note.isEmpty())
        .findFirst().orElse(null);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static String toJson(Object o) {
    if (o instanceof Map<?, ?> m) {
      StringJoiner j = new StringJoiner(",", "{", "}");
      m.forEach((k, v) -> j.add("\"" + k + "\":" + toJson(v)));
      return j.toString();
    }
    if (o instanceof List<?> l) {
      StringJoiner j = new StringJoiner(",", "[", "]");
      l.forEach(v -> j.add(toJson(v)));
      return j.toString();
    }
    if (o instanceof Number n) {
      double d = n.doubleValue();
      return Double.isFinite(d) ? (d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : n.toString()) : "null";
    }
    if (o instanceof Boolean) {
      return o.toString();
    }
    return "\"" + String.valueOf(o).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private int num(String k, int def) {
    return Integer.parseInt(opt.getOrDefault(k, Integer.toString(def)));
  }

  private double dbl(String k, double def) {
    return Double.parseDouble(opt.getOrDefault(k, Double.toString(def)));
  }

  private double[] list(String k, String def) {
    return Arrays.stream(opt.getOrDefault(k, def).split(",")).mapToDouble(Double::parseDouble).toArray();
  }
}
