package dev.apexpulse.k8s;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real jar ({@code java -jar target/apex-pulse.jar}, what the image runs) as a child process,
 * with its output (stdout and stderr) collected line by line.
 */
final class PulseProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("apex-pulse node (\\S+) ready on [^:]+:(\\d+)");

  final Process process;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final Thread reader;
  final Path log;
  int port;
  String nodeId;

  private PulseProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    // the output goes to a file (kept in target/it-logs) which this thread follows line by line
    this.reader = new Thread(() -> {
      try (BufferedReader r = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
        StringBuilder partial = new StringBuilder();
        while (true) {
          boolean ended = !process.isAlive();
          int c;
          while ((c = r.read()) >= 0) {
            if (c == '\n') {
              add(partial.toString());
              partial.setLength(0);
            } else {
              partial.append((char) c);
            }
          }
          if (ended) {
            if (partial.length() > 0) {
              add(partial.toString());
            }
            return;
          }
          Thread.sleep(10);
        }
      } catch (IOException | InterruptedException e) {
        // stop following
      }
    }, "pulse-output-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  private void add(String line) {
    lines.add(line);
    if (System.getProperty("pulse.it.echo") != null) {
      System.out.println("[pulse " + process.pid() + "] " + line);
    }
  }

  static Path jar() {
    Path jar = Repo.ROOT.resolve("target/apex-pulse.jar");
    if (!Files.isRegularFile(jar)) {
      throw new AssertionError(jar + " missing: integration tests run after package (mvn verify)");
    }
    return jar;
  }

  /** Starts the jar with exactly this environment (plus PATH) and these JVM options; logs to target/it-logs/NAME.log. */
  static PulseProcess start(String name, Path jar, Map<String, String> env, List<String> jvmOptions) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    Path log = Repo.ROOT.resolve("target/it-logs/" + name + ".log");
    Files.createDirectories(log.getParent());
    Files.deleteIfExists(log);
    Files.createFile(log);
    // an empty working directory, like the image's /app: the node reads the conf/pulse.yaml inside the
    // jar, not the project's (a node reads ./conf/pulse.yaml first when there is one)
    Path work = Repo.ROOT.resolve("target/it-work/" + name);
    Files.createDirectories(work);
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_") || k.startsWith("JAVA_TOOL_OPTIONS"));
    pb.environment().putAll(env);
    return new PulseProcess(pb.start(), log);
  }

  /** Waits for the start-up line and reads the port and node id from it. */
  PulseProcess awaitReady(long seconds) throws InterruptedException {
    Matcher m = awaitLine(READY, seconds);
    nodeId = m.group(1);
    port = Integer.parseInt(m.group(2));
    return this;
  }

  Matcher awaitLine(Pattern pattern, long seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int seen = 0;
    while (System.nanoTime() < end) {
      boolean exited = !process.isAlive();
      if (exited) {
        reader.join(5000); // the rest of the output, up to EOF
      }
      List<String> copy = lines();
      for (; seen < copy.size(); seen++) {
        Matcher m = pattern.matcher(message(copy.get(seen)));
        if (m.find()) {
          return m;
        }
      }
      if (exited) {
        throw new AssertionError("process exited (" + process.exitValue() + ") before logging " + pattern + ":\n" + String.join("\n", lines()));
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no line matching " + pattern + " within " + seconds + " s:\n" + String.join("\n", lines()));
  }

  /** The message of a log line, plain or JSON. */
  static String message(String line) {
    if (line.startsWith("{")) {
      try {
        return new JsonObject(line).getString("message", line);
      } catch (RuntimeException e) {
        return line;
      }
    }
    return line;
  }

  List<String> lines() {
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }

  String output() {
    return String.join("\n", lines());
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(2000);
  }
}
