package dev.apexpulse.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code jcmd GC.class_histogram}: live bytes and instances per class after a full GC. The difference
 * of two, divided by the connections opened in between, says what one connection keeps alive.
 */
record Histogram(long totalBytes, Map<String, long[]> classes) {
  private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");
  private static final Pattern TOTAL = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

  static Histogram parse(String jcmdOutput) {
    Map<String, long[]> classes = new HashMap<>();
    long total = 0;
    for (String line : jcmdOutput.split("\n")) {
      Matcher row = ROW.matcher(line);
      if (row.matches()) {
        classes.put(row.group(3), new long[] {Long.parseLong(row.group(1)), Long.parseLong(row.group(2))});
        continue;
      }
      Matcher t = TOTAL.matcher(line.trim());
      if (t.matches()) {
        total = Long.parseLong(t.group(2));
      }
    }
    if (total == 0) {
      throw new IllegalStateException("not a class histogram: " + jcmdOutput.lines().limit(3).toList());
    }
    return new Histogram(total, classes);
  }

  /** Classes that grew from {@code before} to this, biggest first, as "bytes/conn instances/conn class". */
  List<String> growthPerConnection(Histogram before, int connections, int top) {
    List<Map.Entry<String, long[]>> grown = new ArrayList<>();
    for (Map.Entry<String, long[]> e : classes.entrySet()) {
      long[] was = before.classes.getOrDefault(e.getKey(), new long[2]);
      long instances = e.getValue()[0] - was[0];
      long bytes = e.getValue()[1] - was[1];
      if (bytes > 0) {
        grown.add(Map.entry(e.getKey(), new long[] {instances, bytes}));
      }
    }
    grown.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, long[]> e : grown.subList(0, Math.min(top, grown.size()))) {
      lines.add(String.format("%8.1f B %6.2f × %s", (double) e.getValue()[1] / connections,
          (double) e.getValue()[0] / connections, e.getKey()));
    }
    return lines;
  }
}
