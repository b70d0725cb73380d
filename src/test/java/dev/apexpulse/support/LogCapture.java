package dev.apexpulse.support;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies everything written to System.out and System.err (logback's console appender writes to
 * System.out, looking the stream up at every write) into memory while it is installed, so a test can
 * assert that the node logged no errors: no ERROR line, no Vert.x "Unhandled exception", no
 * "unexpected failure", no Netty leak report. {@code LogCaptureTest} checks that it still sees the
 * node's log lines.
 */
public final class LogCapture implements AutoCloseable {
  private static final List<String> SUSPICIOUS = List.of(" ERROR ", "Unhandled exception", "unexpected failure",
      "exceptionCaught", "LEAK:", "OutOfMemoryError", "StackOverflowError");
  private static final int MAX_BYTES = 8 << 20;

  private final PrintStream originalOut;
  private final PrintStream originalErr;
  private final ByteArrayOutputStream copy = new ByteArrayOutputStream();
  private boolean truncated;

  private LogCapture() {
    this.originalOut = System.out;
    this.originalErr = System.err;
  }

  public static LogCapture install() {
    LogCapture c = new LogCapture();
    System.setOut(c.tee(c.originalOut));
    System.setErr(c.tee(c.originalErr));
    return c;
  }

  private PrintStream tee(PrintStream original) {
    return new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        keep(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        keep(b, off, len);
      }

      @Override
      public void flush() {
        original.flush();
      }
    }, true, StandardCharsets.UTF_8);
  }

  private synchronized void keep(byte[] b, int off, int len) {
    if (copy.size() + len > MAX_BYTES) {
      truncated = true;
      return;
    }
    copy.write(b, off, len);
  }

  /** Lines logged so far that point at a bug, with the line after each (often the exception). */
  public synchronized List<String> suspicious() {
    String[] lines = copy.toString(StandardCharsets.UTF_8).split("\n");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      for (String s : SUSPICIOUS) {
        if (lines[i].contains(s)) {
          out.add(lines[i] + (i + 1 < lines.length ? " | " + lines[i + 1] : ""));
          break;
        }
      }
    }
    if (truncated) {
      out.add("(log capture truncated at " + MAX_BYTES + " bytes: the node logged far too much)");
    }
    return out;
  }

  /** Lines containing the text. */
  public synchronized List<String> lines(String containing) {
    List<String> out = new ArrayList<>();
    for (String line : copy.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.contains(containing)) {
        out.add(line);
      }
    }
    return out;
  }

  public synchronized void clear() {
    copy.reset();
    truncated = false;
  }

  @Override
  public void close() {
    System.out.flush();
    System.err.flush();
    System.setOut(originalOut);
    System.setErr(originalErr);
  }
}
