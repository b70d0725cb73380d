package dev.apexpulse.bench;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A server under test in its own process: start time, CPU ticks and RSS from /proc, jcmd, its heap probe. */
final class ServerProcess {
  static final long CLK_TCK = 100; // getconf CLK_TCK on Linux
  /**
   * For control requests to the servers. HTTP/1.1 only: the JDK client's default asks for an h2c
   * upgrade, which Node's http server hands to its WebSocket server as an upgrade (and ws refuses).
   */
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofMillis(500)).build();

  final String name;
  final int port;
  final Process process;
  final long startMillis;
  final Path log;
  private final HeapProbe heap;

  private ServerProcess(String name, int port, Process process, long startMillis, Path log, HeapProbe heap) {
    this.name = name;
    this.heap = heap;
    this.log = log;
    this.port = port;
    this.process = process;
    this.startMillis = startMillis;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts the command and waits until {@code readyPath} answers 200; the time taken is the start time. */
  static ServerProcess start(String name, List<String> command, Map<String, String> env, int port, String readyPath,
                             Path log, Duration timeout, HeapProbe heap) throws Exception {
    // run in the log's directory: a ./conf/pulse.yaml in the caller's directory (another branch's
    // checkout) would replace the configuration embedded in the jar under test
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
        .directory(log.toAbsolutePath().getParent().toFile());
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + readyPath)).timeout(Duration.ofSeconds(1)).build();
    long deadline = t0 + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(name + " died at start, see " + log + ":\n" + tail(log));
      }
      try {
        if (HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return new ServerProcess(name, port, p, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), log, heap);
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(10);
    }
    p.destroyForcibly();
    throw new IllegalStateException(name + " not ready after " + timeout + ", see " + log);
  }

  long pid() {
    return process.pid();
  }

  /** utime + stime of the process, in clock ticks. */
  long cpuTicks() {
    checkAlive();
    return cpuTicksOf(pid());
  }

  static long cpuTicksOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of stat(5)
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Fails loudly when the server is gone (crashed, or killed by someone else's cleanup). */
  void checkAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " (pid " + pid() + ") exited with code " + process.exitValue()
          + " during the benchmark; its log ends:\n" + tail(log));
    }
  }

  /** Resident set size in KiB. */
  long rssKb() {
    checkAlive();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D+", ""));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return -1;
  }

  String jcmd(String... args) throws Exception {
    String[] cmd = new String[args.length + 2];
    cmd[0] = "jcmd";
    cmd[1] = Long.toString(pid());
    System.arraycopy(args, 0, cmd, 2, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  /** Live heap right after a full GC, and what it is made of when the runtime can tell. */
  Histogram liveHeap() throws Exception {
    return heap.liveHeap(this);
  }

  void fullGc(boolean twice) throws Exception {
    heap.fullGc(this, twice);
  }

  void stop() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  static String javaBin() {
    return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
  }
}
