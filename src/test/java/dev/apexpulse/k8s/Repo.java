package dev.apexpulse.k8s;

import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Files of the repository (tests run with the project directory as working directory) and YAML loading. */
final class Repo {
  static final Path ROOT = locate();
  static final Path K8S = ROOT.resolve("k8s");
  static final Path BASE = K8S.resolve("base");

  private Repo() {}

  private static Path locate() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("pom.xml"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("no pom.xml above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every document of a YAML file (empty ones skipped), as snakeyaml maps: the shape kubectl reads. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> yamlDocs(Path p) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object doc : new Yaml().loadAll(read(p))) {
      if (doc == null) {
        continue;
      }
      if (!(doc instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(p + ": a document is not a mapping");
      }
      docs.add((Map<String, Object>) doc);
    }
    return docs;
  }

  static Map<String, Object> yaml(Path p) {
    List<Map<String, Object>> docs = yamlDocs(p);
    if (docs.size() != 1) {
      throw new IllegalArgumentException(p + ": expected one YAML document, found " + docs.size());
    }
    return docs.get(0);
  }
}
