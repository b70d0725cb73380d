package dev.apexpulse.k8s;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dockerfile builds the jar README's command builds, from a build context that holds everything
 * pom.xml reads, and runs it as a non-root user with exec-form java so SIGTERM reaches the JVM.
 * (No Docker engine here: the file is parsed; DockerBuildStepsIT replays the build stage.)
 */
class DockerfileTest {
  private final Dockerfile dockerfile = Dockerfile.parse(Repo.read(Repo.ROOT.resolve("Dockerfile")));
  private final List<String> ignore = Dockerfile.ignorePatterns(Repo.read(Repo.ROOT.resolve(".dockerignore")));

  /** README's build command: the part of "mvn … package … && java -jar …" before the &&. */
  static String readmeBuildCommand() {
    Matcher m = Pattern.compile("(?m)^(mvn [^\\n]*package[^\\n]*?)\\s*&&\\s*java -jar (\\S+)").matcher(Repo.read(Repo.ROOT.resolve("README.md")));
    assertThat(m.find()).as("README has the build-and-run command").isTrue();
    return m.group(1).strip();
  }

  static String readmeJar() {
    Matcher m = Pattern.compile("(?m)^mvn [^\\n]*package[^\\n]*&&\\s*java -jar (\\S+)").matcher(Repo.read(Repo.ROOT.resolve("README.md")));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void buildStageRunsReadmesCommandOnJdk17() {
    Dockerfile.Stage build = dockerfile.stage("build");
    assertThat(build.image()).startsWith("maven:").contains("temurin-17");
    List<String> runs = build.all("RUN").stream().map(Dockerfile::runCommand).toList();
    assertThat(runs).contains(readmeBuildCommand());
    assertThat(readmeBuildCommand()).isEqualTo("mvn -q -B package -DskipTests");
  }

  @Test
  void runtimeStageCopiesThatJarAndRunsItInExecForm() throws Exception {
    Dockerfile.Stage build = dockerfile.stage("build");
    Dockerfile.Stage runtime = dockerfile.last();
    assertThat(runtime).isNotSameAs(build);
    assertThat(runtime.image()).contains("17").contains("jre");

    String jar = readmeJar();
    assertThat(jar).isEqualTo("target/" + pomFinalName() + ".jar");
    List<Dockerfile.Copy> fromBuild = runtime.all("COPY").stream().map(Dockerfile::copy)
        .filter(c -> "build".equals(c.flag("from"))).toList();
    assertThat(fromBuild).singleElement().satisfies(c -> assertThat(c.sources()).containsExactly(build.workdir() + "/" + jar));
    String installed = fromBuild.get(0).destination();

    Dockerfile.Instruction entrypoint = runtime.last("ENTRYPOINT");
    assertThat(entrypoint).isNotNull();
    assertThat(entrypoint.args()).as("exec form (JSON array): java is PID 1 and gets SIGTERM").startsWith("[");
    List<Object> argv = new JsonArray(entrypoint.args()).getList();
    assertThat(argv.get(0)).isEqualTo("java");
    assertThat(argv).containsSubsequence("-jar", installed);
    assertThat(runtime.all("CMD")).isEmpty();
  }

  @Test
  void runtimeRunsAsTheNonRootUserTheDeploymentExpects() {
    Dockerfile.Stage runtime = dockerfile.last();
    String user = runtime.last("USER").args();
    assertThat(user).matches("\\d+(:\\d+)?");
    long uid = Long.parseLong(user.split(":")[0]);
    assertThat(uid).isPositive();
    Deployment d = Kustomize.typed(Kustomize.render(Repo.BASE).only("Deployment"), Deployment.class);
    var pod = d.getSpec().getTemplate().getSpec().getSecurityContext();
    assertThat(pod.getRunAsUser()).isEqualTo(uid);
    if (user.contains(":")) {
      assertThat(pod.getRunAsGroup()).isEqualTo(Long.parseLong(user.split(":")[1]));
    }
    // the working directory holds the data directory the Deployment mounts an emptyDir on
    String workdir = runtime.workdir();
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(workdir + "/data"));
    assertThat(String.join("\n", runtime.all("RUN").stream().map(Dockerfile.Instruction::args).toList()))
        .contains("mkdir -p " + workdir + "/data");
    // container-aware JVM flags by default
    assertThat(runtime.all("ENV")).anySatisfy(e -> assertThat(e.args()).startsWith("JAVA_TOOL_OPTIONS=").contains("MaxRAMPercentage"));
    // the ports the image says it listens on are the Deployment's
    List<String> exposed = List.of(runtime.last("EXPOSE").args().split(" "));
    assertThat(exposed).containsExactlyInAnyOrderElementsOf(d.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts()
        .stream().map(p -> String.valueOf(p.getContainerPort())).toList());
  }

  @Test
  void buildContextHoldsEverythingPomReadsAndNothingStale() throws Exception {
    Dockerfile.Stage build = dockerfile.stage("build");
    List<String> copied = new ArrayList<>();
    for (Dockerfile.Instruction i : build.all("COPY")) {
      copied.addAll(Dockerfile.copy(i).sources());
    }
    List<String> needed = new ArrayList<>(List.of("pom.xml", "src/main/java", "src/main/resources"));
    needed.addAll(pomResourceDirectories());
    for (String path : needed) {
      assertThat(copied).as("COPY covers " + path).anySatisfy(src -> assertThat(path.equals(src) || path.startsWith(src + "/")).isTrue());
    }
    // every file the build reads passes .dockerignore
    List<String> blocked = new ArrayList<>();
    for (String path : needed) {
      Path p = Repo.ROOT.resolve(path);
      try (Stream<Path> files = Files.isDirectory(p) ? Files.walk(p) : Stream.of(p)) {
        files.filter(Files::isRegularFile).map(f -> Repo.ROOT.relativize(f).toString().replace('\\', '/'))
            .filter(f -> !f.contains("node_modules/") && !f.startsWith("apex/js/test/"))
            .filter(f -> Dockerfile.ignored(ignore, f)).forEach(blocked::add);
      }
    }
    assertThat(blocked).as("files the build needs but .dockerignore drops").isEmpty();
    // and what must stay out: a stale jar, node_modules, the git history
    for (String path : List.of("target/apex-pulse.jar", ".git/HEAD", "apex/js/node_modules/x/index.js", "node_modules/y")) {
      assertThat(Dockerfile.ignored(ignore, path)).as(path + " ignored").isTrue();
    }
  }

  @Test
  void parserReadsContinuationsStagesAndFlags() {
    Dockerfile d = Dockerfile.parse("""
        # syntax=docker/dockerfile:1
        FROM a:1 AS one
        RUN --mount=type=cache,target=/x echo a \\
         && echo b
        FROM b:2
        COPY --from=one /w/x.jar /y.jar
        USER 1:2
        """);
    assertThat(d.stages).hasSize(2);
    assertThat(Dockerfile.runCommand(d.stage("one").last("RUN"))).isEqualTo("echo a && echo b");
    Dockerfile.Copy c = Dockerfile.copy(d.last().last("COPY"));
    assertThat(c.flag("from")).isEqualTo("one");
    assertThat(c.sources()).containsExactly("/w/x.jar");
    assertThat(c.destination()).isEqualTo("/y.jar");
    assertThat(Dockerfile.ignored(List.of("**/node_modules"), "node_modules/a")).isTrue();
    assertThat(Dockerfile.ignored(List.of("target"), "src/target.java")).isFalse();
  }

  static String pomFinalName() throws Exception {
    Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Repo.ROOT.resolve("pom.xml").toFile()).getDocumentElement();
    return ((Element) root.getElementsByTagName("build").item(0)).getElementsByTagName("finalName").item(0).getTextContent().strip();
  }

  static List<String> pomResourceDirectories() throws Exception {
    Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Repo.ROOT.resolve("pom.xml").toFile()).getDocumentElement();
    NodeList resources = root.getElementsByTagName("resource");
    List<String> dirs = new ArrayList<>();
    for (int i = 0; i < resources.getLength(); i++) {
      dirs.add(((Element) resources.item(i)).getElementsByTagName("directory").item(0).getTextContent().strip());
    }
    return dirs;
  }

}
