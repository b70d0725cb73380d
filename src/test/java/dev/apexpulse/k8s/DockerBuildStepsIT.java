package dev.apexpulse.k8s;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dockerfile's build stage replayed without Docker: its COPY instructions applied to an empty
 * directory (honouring .dockerignore), its RUN commands run there; the jar it leaves must be the jar
 * README's command built in target/ (same entries, same bytes).
 */
@Timeout(900)
class DockerBuildStepsIT {
  @TempDir
  Path scratch;

  @Test
  void buildStageProducesTheSameJarAsReadmesCommand() throws Exception {
    Dockerfile dockerfile = Dockerfile.parse(Repo.read(Repo.ROOT.resolve("Dockerfile")));
    List<String> ignore = Dockerfile.ignorePatterns(Repo.read(Repo.ROOT.resolve(".dockerignore")));
    Dockerfile.Stage build = dockerfile.stage("build");
    Path root = scratch.resolve("fs");
    Path workdir = root.resolve(build.workdir().substring(1));
    Files.createDirectories(workdir);

    for (Dockerfile.Instruction i : build.instructions()) {
      switch (i.keyword()) {
        case "WORKDIR" -> Files.createDirectories(root.resolve(i.args().substring(1)));
        case "COPY" -> {
          Dockerfile.Copy copy = Dockerfile.copy(i);
          assertThat(copy.flags()).as("plain COPY from the context").isEmpty();
          for (String source : copy.sources()) {
            copyFromContext(source, workdir.resolve(copy.destination()), ignore);
          }
        }
        case "RUN" -> run(Dockerfile.runCommand(i), workdir);
        default -> throw new AssertionError("instruction not replayed: " + i);
      }
    }

    String jar = DockerfileTest.readmeJar();
    Map<String, Long> built = entries(workdir.resolve(jar));
    Map<String, Long> readme = entries(Repo.ROOT.resolve(jar));
    assertThat(built.keySet()).containsExactlyElementsOf(readme.keySet());
    List<String> different = new ArrayList<>();
    built.forEach((name, crc) -> {
      // Maven writes the build time into its pom.properties; everything else must be byte-identical
      if (!crc.equals(readme.get(name)) && !name.equals("META-INF/maven/dev.apexpulse/apex-pulse/pom.properties")) {
        different.add(name);
      }
    });
    assertThat(different).as("entries with other bytes").isEmpty();
    System.out.printf("Dockerfile build stage replayed: %s has the same %d entries as README's build%n", jar, built.size());
  }

  /** COPY src dest: a file, or a directory's content, minus what .dockerignore excludes. */
  private static void copyFromContext(String source, Path destination, List<String> ignore) throws IOException {
    Path from = Repo.ROOT.resolve(source);
    assertThat(from).exists();
    boolean isDir = Files.isDirectory(from);
    Path to = isDir || !destination.toString().endsWith("/") && Files.isDirectory(destination)
        ? (isDir ? destination : destination.resolve(from.getFileName())) : destination;
    try (Stream<Path> files = isDir ? Files.walk(from) : Stream.of(from)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = Repo.ROOT.relativize(f).toString().replace('\\', '/');
        if (Dockerfile.ignored(ignore, rel)) {
          continue;
        }
        Path target = isDir ? to.resolve(from.relativize(f).toString()) : to;
        Files.createDirectories(target.getParent());
        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private static void run(String command, Path dir) throws Exception {
    Path log = Repo.ROOT.resolve("target/it-logs/docker-build-stage.log");
    Files.createDirectories(log.getParent());
    Process p = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(800, TimeUnit.SECONDS)).as(command + " finished").isTrue();
    assertThat(p.exitValue()).as(command + " exit status; output in " + log + ":\n" + Files.readString(log)).isZero();
  }

  private static Map<String, Long> entries(Path jar) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (JarFile f = new JarFile(jar.toFile())) {
      var e = f.entries();
      while (e.hasMoreElements()) {
        var entry = e.nextElement();
        if (entry.isDirectory()) {
          continue;
        }
        CRC32 crc = new CRC32();
        try (InputStream in = f.getInputStream(entry)) {
          crc.update(in.readAllBytes());
        }
        out.put(entry.getName(), crc.getValue());
      }
    }
    return out;
  }
}
