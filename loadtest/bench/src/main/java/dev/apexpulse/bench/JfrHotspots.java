package dev.apexpulse.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Top CPU and allocation hot spots of a JFR recording: execution samples by top frame (self time)
 * and by the first frame in dev.apexpulse (which of our methods the time is spent under), and
 * allocation samples by class and allocating frame, weighted by bytes.
 *
 * <p>Usage: {@code java -cp pulse-bench.jar dev.apexpulse.bench.JfrHotspots recording.jfr [top]}
 */
public final class JfrHotspots {
  private JfrHotspots() {}

  public static void main(String[] args) throws Exception {
    System.out.println(report(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 15));
  }

  static String report(Path file, int top) throws Exception {
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> ours = new HashMap<>();
    Map<String, Long> alloc = new HashMap<>();
    Map<String, Long> allocSite = new HashMap<>();
    long samples = 0;
    long allocTotal = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      RecordedStackTrace st = e.getStackTrace();
      if (type.equals("jdk.ExecutionSample") && st != null && !st.getFrames().isEmpty()) {
        samples++;
        self.merge(frame(st.getFrames().get(0)), 1L, Long::sum);
        ours.merge(firstOurs(st.getFrames()), 1L, Long::sum);
      } else if (type.equals("jdk.ObjectAllocationSample")) {
        long w = e.getLong("weight");
        allocTotal += w;
        String cls = e.getClass("objectClass").getName();
        alloc.merge(cls, w, Long::sum);
        if (st != null && !st.getFrames().isEmpty()) {
          allocSite.merge(cls + " <- " + firstInteresting(st.getFrames()), w, Long::sum);
        }
      }
    }
    StringBuilder out = new StringBuilder();
    out.append("CPU: ").append(samples).append(" execution samples\n");
    out.append("  top frames (self):\n").append(table(self, samples, top, false));
    out.append("  under our code (first dev.apexpulse frame on the stack):\n").append(table(ours, samples, top, false));
    out.append("Allocation: ").append(allocTotal / (1024 * 1024)).append(" MiB sampled weight\n");
    out.append("  by class:\n").append(table(alloc, allocTotal, top, true));
    out.append("  by class and site:\n").append(table(allocSite, allocTotal, top, true));
    return out.toString();
  }

  private static String table(Map<String, Long> m, long total, int top, boolean bytes) {
    return m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .map(e -> String.format("    %5.1f%%  %s%s", 100.0 * e.getValue() / Math.max(1, total), e.getKey(),
            bytes ? "  (" + e.getValue() / 1024 + " KiB)" : "  (" + e.getValue() + ")"))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  private static String frame(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String firstOurs(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      if (f.getMethod().getType().getName().startsWith("dev.apexpulse")) {
        return frame(f);
      }
    }
    return "(no dev.apexpulse frame: " + frame(frames.get(frames.size() - 1)) + " …)";
  }

  /** The allocating frame, skipping JDK/Netty buffer plumbing to the first frame that explains it. */
  private static String firstInteresting(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String t = f.getMethod().getType().getName();
      if (t.startsWith("dev.apexpulse") || t.startsWith("io.vertx")) {
        return frame(f);
      }
    }
    return frame(frames.get(0));
  }
}
