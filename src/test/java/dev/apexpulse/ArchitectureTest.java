package dev.apexpulse;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package graph as docs/ARCHITECTURE.md draws it, checked on the compiled classes with ArchUnit:
 * no package cycles, the root package (the composition root) imported by nobody, the layers only
 * looking down, and no class that has quietly grown a second job.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.apexpulse");
  }

  @Test
  void packagesFormNoCycle() {
    slices().matching("dev.apexpulse.(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void nothingImportsTheCompositionRoot() {
    noClasses().that().resideOutsideOfPackage("dev.apexpulse")
        .should().dependOnClassesThat().resideInAPackage("dev.apexpulse")
        .because("Node and Main wire the parts together; the parts get what they use in their constructors")
        .check(main);
  }

  @Test
  void theEnginesOfMessagesNeverReachForATransport() {
    forbid(new String[] {"channel", "history", "presence", "auth", "db", "schedule", "lease", "metrics", "config", "core", "online"},
        new String[] {"gateway", "transport", "session", "admin", "api"},
        "routing, storage, presence, credentials and background work know nothing of sockets or HTTP");
  }

  @Test
  void theProtocolAndItsTransportsKnowNoNodeParts() {
    forbid(new String[] {"protocol", "transport"}, new String[] {"session", "gateway", "admin", "api", "cluster", "engine"},
        "the wire format and the transports are the seam the session writes through");
  }

  @Test
  void theSessionIsIndependentOfItsTransports() {
    forbid(new String[] {"session"}, new String[] {"transport.websocket", "gateway", "admin", "api"},
        "a session speaks to Transport only, so a second transport needs no change in it");
  }

  @Test
  void theCoreAndTheConfigurationStandAlone() {
    onlyOwn("core");
    noClasses().that().resideInAPackage("dev.apexpulse.config..")
        .should().dependOnClassesThat().resideInAnyPackage(packages(new String[] {"channel", "history", "presence", "auth",
            "db", "schedule", "lease", "metrics", "cluster", "engine", "gateway", "transport", "session", "admin", "api",
            "demo", "background", "protocol", "online"}))
        .because("config validation must not import the runtime packages it validates")
        .check(main);
  }

  /** A package that uses nothing of the gateway's but itself. */
  private static void onlyOwn(String pkg) {
    noClasses().that().resideInAPackage("dev.apexpulse." + pkg + "..")
        .should().dependOnClassesThat(DescribedPredicate.describe("classes of dev.apexpulse outside " + pkg,
            c -> c.getPackageName().startsWith("dev.apexpulse") && !c.getPackageName().startsWith("dev.apexpulse." + pkg)))
        .check(main);
  }

  /** A class that grows past about 400 lines has taken a second job: split it, or say at its top why not. */
  @Test
  void noClassIsOverFourHundredLinesWithoutAReason() throws IOException {
    List<String> long_ = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(f);
        if (lines.size() > 420 && lines.stream().limit(40).noneMatch(l -> l.contains("Longer than 400 lines because"))) {
          long_.add(f + ": " + lines.size() + " lines");
        }
      }
    }
    assertThat(long_).isEmpty();
  }

  private static void forbid(String[] from, String[] to, String because) {
    noClasses().that().resideInAnyPackage(packages(from))
        .should().dependOnClassesThat().resideInAnyPackage(packages(to))
        .because(because)
        .check(main);
  }

  private static String[] packages(String[] names) {
    String[] out = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      out[i] = "dev.apexpulse." + names[i] + "..";
    }
    return out;
  }
}
