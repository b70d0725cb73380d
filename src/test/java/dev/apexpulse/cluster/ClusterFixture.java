package dev.apexpulse.cluster;

import dev.apexpulse.support.Http;
import dev.apexpulse.support.Jwt;
import dev.apexpulse.support.TestNode;
import io.vertx.core.json.JsonArray;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Real gateway nodes as separate JVM processes ({@code java … dev.apexpulse.Main}, configured only
 * through PULSE_* variables over conf/pulse.yaml and conf/hazelcast-local.yaml, as in production), so
 * a node can be killed with SIGKILL: no shutdown hook, no close frames, no polite leave.
 */
final class ClusterFixture {
  static final String API_KEY = TestNode.API_KEY;
  static final Jwt JWT = new Jwt(TestNode.APP, TestNode.SECRET);
  static final List<String> JVM_FLAGS = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  final String name = "pulse-test-" + Long.toString(System.nanoTime(), 36);
  /** Hazelcast ports: node i gets hzBase + i; the last one is for the test's own service member. */
  final int hzBase;
  final int slots;
  final List<NodeProcess> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();

  ClusterFixture(int slots) {
    this.slots = slots;
    this.hzBase = freePortRange(slots);
    // if this JVM is stopped before @AfterAll, take the node processes with it
    Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.forEach(n -> n.process.destroyForcibly()), "cluster-fixture-cleanup"));
  }

  List<String> members() {
    List<String> m = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      m.add("127.0.0.1:" + (hzBase + i));
    }
    return m;
  }

  /** Starts node {@code slot} (does not wait for it). */
  NodeProcess launch(String label, int slot) {
    return launch(label, slot, Map.of());
  }

  /** Starts node {@code slot} with extra PULSE_* variables over the defaults (a database, PULSE_CONF with jobs). */
  NodeProcess launch(String label, int slot, Map<String, String> extraEnv) {
    return launch(label, slot, extraEnv, null);
  }

  /**
   * Starts node {@code slot} in {@code workDir} (null: this JVM's). A null value in {@code extraEnv}
   * removes that default (e.g. PULSE_DB_URL, to run with the database of conf/pulse.yaml).
   */
  NodeProcess launch(String label, int slot, Map<String, String> extraEnv, Path workDir) {
    int http = freePortRange(1, 30_000, 32_700); // apart from the Hazelcast ports, below the ephemeral range
    Map<String, String> env = env(label, slot, http);
    extraEnv.forEach((k, v) -> {
      if (v == null) {
        env.remove(k);
      } else {
        env.put(k, v);
      }
    });
    NodeProcess n = NodeProcess.start(label, http, "127.0.0.1", env, JVM_FLAGS, List.of(), workDir);
    nodes.add(n);
    return n;
  }

  /** The PULSE_* variables of a test node: production mode, the test app, loopback, this cluster. */
  Map<String, String> env(String label, int slot, int http) {
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_MODE", "production");
    env.put("PULSE_NODE_ID", "n-" + label);
    env.put("PULSE_HTTP_HOST", "127.0.0.1");
    env.put("PULSE_HTTP_PORT", Integer.toString(http));
    env.put("PULSE_HTTP_INSTANCES", "2");
    env.put("PULSE_HTTP_DEMO", "false");
    env.put("PULSE_APP_100_SECRET", TestNode.SECRET);
    env.put("PULSE_APP_100_API_KEY", API_KEY);
    env.put("PULSE_LIMITS_FRAME_RATE", "100000");
    env.put("PULSE_LIMITS_FRAME_BURST", "100000");
    env.put("PULSE_LIMITS_API_RATE", "100000");
    env.put("PULSE_LIMITS_API_BURST", "100000");
    env.put("PULSE_HISTORY_SIZE", "20000");
    env.put("PULSE_DRAIN_GRACE_SECONDS", "2");
    env.put("PULSE_DB_URL", ""); // no database: these tests are about the cluster (and the H2 file would be shared)
    env.put("PULSE_CLUSTER_ENABLED", "true");
    env.put("PULSE_CLUSTER_NAME", name);
    env.put("PULSE_CLUSTER_PORT", Integer.toString(hzBase + slot));
    env.put("PULSE_CLUSTER_PORT_COUNT", "1");
    env.put("PULSE_CLUSTER_MEMBERS", String.join(",", members()));
    env.put("PULSE_CLUSTER_EVENT_BUS_HOST", "127.0.0.1");
    return env;
  }

  void closeAll() {
    for (NodeProcess n : nodes) {
      n.close();
    }
  }

  String token(String user) {
    return JWT.hs256(JWT.claims(user, 3600).put("sub_ch", new JsonArray().add("**")).put("pub_ch", new JsonArray().add("**")));
  }

  /** A base port with {@code count} free ports above it, away from Hazelcast's 5701 and the ephemeral range. */
  static int freePortRange(int count) {
    return freePortRange(count, 20_000, 30_000);
  }

  static int freePortRange(int count, int from, int to) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(from, to - count);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range");
  }

  /** One node process; its output goes to target/cluster-test/&lt;name&gt;-&lt;label&gt;.log. */
  static final class NodeProcess implements AutoCloseable {
    final String label;
    final int httpPort;
    final String host;
    final Process process;
    final Path log;
    final long startedNanos = System.nanoTime();

    private NodeProcess(String label, int httpPort, String host, Process process, Path log) {
      this.label = label;
      this.httpPort = httpPort;
      this.host = host;
      this.process = process;
      this.log = log;
    }

    /**
     * @param host    where this JVM reaches the node's HTTP port
     * @param prefix  command run before java (e.g. {@code ip netns exec NS}); empty for none
     * @param workDir the node's working directory; null: this JVM's
     */
    static NodeProcess start(String label, int http, String host, Map<String, String> env, List<String> flags,
                             List<String> prefix, Path workDir) {
      try {
        Path dir = Path.of("target", "cluster-test").toAbsolutePath();
        Files.createDirectories(dir);
        Path log = dir.resolve(label + "-" + System.currentTimeMillis() + ".log");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.apexpulse.Main");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        if (workDir != null) {
          pb.directory(workDir.toFile());
        }
        pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
        pb.environment().putAll(env);
        return new NodeProcess(label, http, host, pb.start(), log);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start node " + label, e);
      }
    }

    String http() {
      return "http://" + host + ":" + httpPort;
    }

    String ws(String token) {
      return "ws://" + host + ":" + httpPort + "/ws?token=" + token;
    }

    /** Waits for /health/ready; returns the time since launch in ms. */
    long awaitReady(long timeoutMillis) {
      long end = System.currentTimeMillis() + timeoutMillis;
      while (System.currentTimeMillis() < end) {
        if (!process.isAlive()) {
          throw new IllegalStateException("node " + label + " exited with " + process.exitValue() + "; see " + log.toAbsolutePath() + "\n" + tail());
        }
        try {
          if (Http.get(http() + "/health/ready", null).status() == 200) {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
          }
        } catch (IllegalStateException notYet) {
          // connection refused: not listening yet
        }
        sleep(100);
      }
      throw new IllegalStateException("node " + label + " not ready within " + timeoutMillis + " ms\n" + tail());
    }

    /** A gauge of /metrics (first sample of that name). */
    double metric(String name) {
      String body = Http.get(http() + "/metrics", null).body();
      for (String line : body.split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      throw new AssertionError("no metric " + name + " on node " + label);
    }

    /** SIGKILL: the JVM vanishes at once, sockets are reset by the kernel, Hazelcast is not told. */
    void kill() {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    String tail() {
      try {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    String logText() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "";
      }
    }

    /** SIGTERM (drain, leave the cluster), then SIGKILL if it takes too long. */
    @Override
    public void close() {
      if (!process.isAlive()) {
        return;
      }
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
