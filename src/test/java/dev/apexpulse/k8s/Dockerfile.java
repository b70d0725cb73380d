package dev.apexpulse.k8s;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Dockerfile read the way the builder reads it: continuation lines joined, comments dropped, stages. */
final class Dockerfile {
  record Instruction(String keyword, String args) {}

  record Stage(String image, String name, List<Instruction> instructions) {
    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Instruction last(String keyword) {
      List<Instruction> found = all(keyword);
      return found.isEmpty() ? null : found.get(found.size() - 1);
    }

    /** The stage's working directory (the last WORKDIR, absolute). */
    String workdir() {
      Instruction w = last("WORKDIR");
      return w == null ? "/" : w.args();
    }
  }

  /** COPY/ADD arguments: flags (--from=…), sources, destination. */
  record Copy(List<String> flags, List<String> sources, String destination) {
    String flag(String name) {
      for (String f : flags) {
        if (f.startsWith("--" + name + "=")) {
          return f.substring(name.length() + 3);
        }
      }
      return null;
    }
  }

  final List<Stage> stages = new ArrayList<>();

  static Dockerfile parse(String text) {
    Dockerfile d = new Dockerfile();
    StringBuilder current = new StringBuilder();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (current.length() == 0 && (line.isEmpty() || line.startsWith("#"))) {
        continue;
      }
      if (current.length() > 0 && line.startsWith("#")) {
        continue; // comments inside a continued instruction are dropped, as docker does
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      String instruction = current.toString().strip();
      current.setLength(0);
      int space = instruction.indexOf(' ');
      String keyword = (space < 0 ? instruction : instruction.substring(0, space)).toUpperCase(Locale.ROOT);
      String args = space < 0 ? "" : instruction.substring(space + 1).strip().replaceAll("\\s+", " ");
      if (keyword.equals("FROM")) {
        String[] parts = args.split(" ");
        String name = parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null;
        d.stages.add(new Stage(parts[0], name, new ArrayList<>()));
      } else {
        if (d.stages.isEmpty()) {
          throw new IllegalArgumentException("instruction before FROM: " + instruction);
        }
        d.stages.get(d.stages.size() - 1).instructions().add(new Instruction(keyword, args));
      }
    }
    return d;
  }

  Stage stage(String name) {
    return stages.stream().filter(s -> name.equals(s.name())).findFirst()
        .orElseThrow(() -> new AssertionError("no stage named " + name));
  }

  Stage last() {
    return stages.get(stages.size() - 1);
  }

  static Copy copy(Instruction i) {
    List<String> flags = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    for (String part : i.args().split(" ")) {
      if (rest.isEmpty() && part.startsWith("--")) {
        flags.add(part);
      } else {
        rest.add(part);
      }
    }
    return new Copy(flags, rest.subList(0, rest.size() - 1), rest.get(rest.size() - 1));
  }

  /** A RUN command without its BuildKit flags (--mount=…, --network=…). */
  static String runCommand(Instruction run) {
    String args = run.args();
    while (args.startsWith("--")) {
      int space = args.indexOf(' ');
      args = args.substring(space + 1).strip();
    }
    return args;
  }

  /** .dockerignore: is this context path (relative, '/'-separated) or one of its parents excluded? */
  static boolean ignored(List<String> patterns, String path) {
    for (String pattern : patterns) {
      if (pattern.startsWith("!")) {
        throw new IllegalArgumentException("exceptions (!) in .dockerignore are not modelled");
      }
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern.replaceAll("^/+|/+$", ""));
      Path p = Path.of(path);
      for (Path candidate = p; candidate != null; candidate = candidate.getParent()) {
        if (m.matches(candidate)) {
          return true;
        }
        // docker's "**/x" also matches "x" at the root
        if (pattern.startsWith("**/") && FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3)).matches(candidate)) {
          return true;
        }
      }
    }
    return false;
  }

  static List<String> ignorePatterns(String dockerignore) {
    List<String> patterns = new ArrayList<>();
    for (String line : dockerignore.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        patterns.add(l);
      }
    }
    return patterns;
  }
}
