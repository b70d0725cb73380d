package dev.apexpulse;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the documents honest about the code: docs/ARCHITECTURE.md names only classes (and methods)
 * that exist and describes every package; no document says that something is not implemented (what
 * exists must be documented as it is; what does not exist is not promised).
 */
class DocsTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path MAIN = ROOT.resolve("src/main/java/dev/apexpulse");
  private static final Path TEST = ROOT.resolve("src/test/java/dev/apexpulse");
  /** `ClassName` or `ClassName.member`, as code is named in the documents. */
  private static final Pattern CODE_NAME = Pattern.compile("`([A-Z][a-z]+[A-Za-z0-9]*)(?:\\.([a-z][A-Za-z0-9]*))?(?:\\(\\))?`");
  private static final Pattern NOT_IMPLEMENTED = Pattern.compile(
      "not (yet )?implemented|not implemented yet|is not built yet|pending until", Pattern.CASE_INSENSITIVE);

  @Test
  void architectureNamesOnlyClassesAndMethodsThatExist() {
    String doc = read(ROOT.resolve("docs/ARCHITECTURE.md"));
    List<String> missing = new ArrayList<>();
    Matcher m = CODE_NAME.matcher(doc);
    int checked = 0;
    while (m.find()) {
      Path source = source(m.group(1));
      checked++;
      if (source == null) {
        missing.add(m.group(0) + ": no such class");
      } else if (m.group(2) != null && !Pattern.compile("\\b" + m.group(2) + "\\s*\\(").matcher(read(source)).find()) {
        missing.add(m.group(0) + ": no such method in " + ROOT.relativize(source));
      }
    }
    assertThat(checked).as("class names found in the document").isGreaterThan(50);
    assertThat(missing).as("names in docs/ARCHITECTURE.md").isEmpty();
  }

  @Test
  void architectureDescribesEveryPackage() throws IOException {
    String doc = read(ROOT.resolve("docs/ARCHITECTURE.md"));
    Set<String> packages = new TreeSet<>();
    try (Stream<Path> dirs = Files.walk(MAIN)) {
      dirs.filter(Files::isDirectory).filter(d -> !d.equals(MAIN)).filter(DocsTest::hasJava)
          .forEach(d -> packages.add(MAIN.relativize(d).toString().replace('/', '.')));
    }
    assertThat(packages).isNotEmpty();
    for (String p : packages) {
      assertThat(doc).as("docs/ARCHITECTURE.md describes package " + p).contains("| `" + p + "` |");
    }
    Matcher rows = Pattern.compile("(?m)^\\| `([a-z.]+)` \\|").matcher(doc);
    while (rows.find()) {
      assertThat(packages).as("a package the document describes").contains(rows.group(1));
    }
  }

  @Test
  void noDocumentCallsSomethingNotImplemented() throws IOException {
    List<String> hits = new ArrayList<>();
    for (Path doc : documents()) {
      List<String> lines = Files.readAllLines(doc);
      for (int i = 0; i < lines.size(); i++) {
        if (NOT_IMPLEMENTED.matcher(lines.get(i)).find() && !lines.get(i).contains("calls something \"not implemented\"")) {
          hits.add(ROOT.relativize(doc) + ":" + (i + 1) + ": " + lines.get(i).strip());
        }
      }
    }
    assertThat(hits).as("say what exists as it is, and promise nothing that does not").isEmpty();
  }

  private static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT, 3)) {
      files.filter(p -> p.toString().endsWith(".md")).filter(p -> !p.toString().contains("node_modules"))
          .filter(p -> !ROOT.relativize(p).startsWith("target")).forEach(docs::add);
    }
    assertThat(docs).extracting(p -> ROOT.relativize(p).toString()).contains("README.md", "docs/ARCHITECTURE.md", "apex/README.md");
    return docs;
  }

  private static boolean hasJava(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.toString().endsWith(".java"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The source file of a class of ours (main or test), or null. */
  private static Path source(String simpleName) {
    for (Path root : List.of(MAIN, TEST)) {
      try (Stream<Path> files = Files.walk(root)) {
        Path hit = files.filter(f -> f.getFileName().toString().equals(simpleName + ".java")).findFirst().orElse(null);
        if (hit != null) {
          return hit;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return null;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
