package dev.apexpulse.k8s;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The validator itself: for every kind in k8s/, the real manifest passes, and a copy broken in one
 * way (an unknown field, a wrong type, a missing required field) is caught with the right message.
 */
class ManifestValidatorTest {

  private static final Path DEPLOYMENT = Repo.BASE.resolve("deployment.yaml");
  private static final Path SERVICE = Repo.BASE.resolve("service.yaml");
  private static final Path HEADLESS = Repo.BASE.resolve("service-hazelcast.yaml");
  private static final Path PDB = Repo.BASE.resolve("poddisruptionbudget.yaml");
  private static final Path HPA = Repo.BASE.resolve("horizontalpodautoscaler.yaml");
  private static final Path NETPOL = Repo.BASE.resolve("networkpolicy.yaml");
  private static final Path SECRET = Repo.BASE.resolve("secret-template.yaml");
  private static final Path INGRESS = Repo.K8S.resolve("components/ingress-nginx/ingress.yaml");
  private static final Path MONITOR = Repo.K8S.resolve("components/prometheus/servicemonitor.yaml");
  private static final Path RULES = Repo.K8S.resolve("components/prometheus/prometheusrule.yaml");
  private static final Path NAMESPACE = Repo.K8S.resolve("overlays/dev/namespace.yaml");

  static Stream<Arguments> brokenManifests() {
    List<Arguments> cases = new ArrayList<>();
    // unknown fields: typos kubectl --validate=strict would refuse
    cases.add(broken(DEPLOYMENT, "unknown field", "spec.template.spec.containers[0].imagePullPolicyy",
        d -> at(d, "spec.template.spec.containers[0]").put("imagePullPolicyy", "Always")));
    cases.add(broken(DEPLOYMENT, "unknown field", "spec.replica", d -> at(d, "spec").put("replica", 3)));
    cases.add(broken(HEADLESS, "unknown field", "spec.publishNotReadyAddress",
        d -> at(d, "spec").put("publishNotReadyAddress", true)));
    cases.add(broken(PDB, "unknown field", "spec.maxUnavailble", d -> at(d, "spec").put("maxUnavailble", 1)));
    cases.add(broken(HPA, "unknown field", "spec.maxReplica", d -> at(d, "spec").put("maxReplica", 4)));
    cases.add(broken(NETPOL, "unknown field", "spec.ingress[1].form", d -> at(d, "spec.ingress[1]").put("form", List.of())));
    cases.add(broken(INGRESS, "unknown field", "spec.rules[0].hosts", d -> at(d, "spec.rules[0]").put("hosts", "x")));
    cases.add(broken(MONITOR, "unknown field", "spec.endpoints[0].pat", d -> at(d, "spec.endpoints[0]").put("pat", "/metrics")));
    cases.add(broken(RULES, "unknown field", "spec.groups[0].rules[0].expression",
        d -> at(d, "spec.groups[0].rules[0]").put("expression", "up")));
    cases.add(broken(SECRET, "unknown field", "stringdata", d -> d.put("stringdata", Map.of("a", "b"))));
    cases.add(broken(NAMESPACE, "unknown field", "metadata.label", d -> at(d, "metadata").put("label", Map.of("a", "b"))));

    // wrong types: refused by fabric8, or converted silently and caught by the round trip
    cases.add(broken(DEPLOYMENT, "wrong type", "replicas", d -> at(d, "spec").put("replicas", "three")));
    cases.add(broken(DEPLOYMENT, "wrong type", "spec.replicas", d -> at(d, "spec").put("replicas", "3")));
    cases.add(broken(DEPLOYMENT, "wrong type", "spec.template.spec.containers[0].ports[0].containerPort",
        d -> at(d, "spec.template.spec.containers[0].ports[0]").put("containerPort", "8080")));
    cases.add(broken(DEPLOYMENT, "wrong type", "spec.template.spec.containers[0].env[3].value",
        d -> at(d, "spec.template.spec.containers[0].env[3]").put("value", 5)));
    cases.add(broken(SERVICE, "wrong type", "ports", d -> at(d, "spec").put("ports", Map.of("port", 8080))));
    cases.add(broken(HEADLESS, "wrong type", "spec.publishNotReadyAddresses",
        d -> at(d, "spec").put("publishNotReadyAddresses", "true")));
    cases.add(broken(PDB, "wrong type", "selector", d -> at(d, "spec").put("selector", "app")));
    cases.add(broken(HPA, "wrong type", "maxReplicas", d -> at(d, "spec").put("maxReplicas", "ten")));
    cases.add(broken(NETPOL, "wrong type", "podSelector", d -> at(d, "spec").put("podSelector", List.of("a"))));
    cases.add(broken(INGRESS, "wrong type", "metadata.annotations.nginx.ingress.kubernetes.io/proxy-read-timeout",
        d -> at(d, "metadata.annotations").put("nginx.ingress.kubernetes.io/proxy-read-timeout", 3600)));
    cases.add(broken(MONITOR, "wrong type", "endpoints", d -> at(d, "spec").put("endpoints", "http")));
    cases.add(broken(RULES, "wrong type", "spec.groups[0].rules[0].for",
        d -> at(d, "spec.groups[0].rules[0]").put("for", 5)));
    cases.add(broken(SECRET, "wrong type", "stringData.PULSE_APP_100_SECRET",
        d -> at(d, "stringData").put("PULSE_APP_100_SECRET", 12345)));
    cases.add(broken(NAMESPACE, "wrong type", "metadata", d -> d.put("metadata", "apex-pulse-dev")));

    // missing required fields: fabric8 accepts them, the API server (or this project) does not
    cases.add(broken(DEPLOYMENT, "missing required field", "spec.template.spec.containers[0].image",
        d -> at(d, "spec.template.spec.containers[0]").remove("image")));
    cases.add(broken(DEPLOYMENT, "missing required field", "spec.selector", d -> at(d, "spec").remove("selector")));
    cases.add(broken(DEPLOYMENT, "missing required field", "spec.template.spec.containers[0].readinessProbe.httpGet.path",
        d -> at(d, "spec.template.spec.containers[0].readinessProbe.httpGet").remove("path")));
    cases.add(broken(SERVICE, "missing required field", "spec.ports[0].port", d -> at(d, "spec.ports[0]").remove("port")));
    cases.add(broken(HEADLESS, "missing required field", "spec.selector", d -> at(d, "spec").remove("selector")));
    cases.add(broken(PDB, "missing required field", "spec.selector", d -> at(d, "spec").remove("selector")));
    cases.add(broken(HPA, "missing required field", "spec.maxReplicas", d -> at(d, "spec").remove("maxReplicas")));
    cases.add(broken(NETPOL, "missing required field", "spec.podSelector", d -> at(d, "spec").remove("podSelector")));
    cases.add(broken(INGRESS, "missing required field", "spec.rules[0].http.paths[0].pathType",
        d -> at(d, "spec.rules[0].http.paths[0]").remove("pathType")));
    cases.add(broken(MONITOR, "missing required field", "spec.endpoints", d -> at(d, "spec").remove("endpoints")));
    cases.add(broken(RULES, "missing required field", "spec.groups[0].rules[0].expr",
        d -> at(d, "spec.groups[0].rules[0]").remove("expr")));
    cases.add(broken(SECRET, "missing required field", "metadata.name", d -> at(d, "metadata").remove("name")));
    cases.add(broken(NAMESPACE, "missing required field", "metadata.name", d -> at(d, "metadata").remove("name")));
    return cases.stream();
  }

  private static Arguments broken(Path file, String problem, String where, Consumer<Map<String, Object>> breakIt) {
    return Arguments.of(Repo.K8S.relativize(file).toString(), problem, where, breakIt);
  }

  @ParameterizedTest(name = "{0}: {1} at {2}")
  @MethodSource("brokenManifests")
  void catchesABrokenManifest(String file, String problem, String where, Consumer<Map<String, Object>> breakIt) {
    Map<String, Object> doc = Repo.yaml(Repo.K8S.resolve(file));
    assertThat(ManifestValidator.validate(doc)).as("the real %s", file).isEmpty();

    Map<String, Object> broken = new JsonObject(new JsonObject(doc).encode()).getMap();
    breakIt.accept(broken);
    List<String> problems = ManifestValidator.validate(broken);
    assertThat(problems).as("problems found in %s broken by %s at %s", file, problem, where)
        .anySatisfy(p -> assertThat(p).contains(problem).contains(where));
  }

  /** The node at a path like {@code spec.rules[0].http}: the test mutates it. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> at(Map<String, Object> doc, String path) {
    Object node = doc;
    for (String segment : path.split("\\.")) {
      String name = segment.contains("[") ? segment.substring(0, segment.indexOf('[')) : segment;
      node = ((Map<String, Object>) node).get(name);
      if (segment.contains("[")) {
        node = ((List<Object>) node).get(Integer.parseInt(segment.substring(segment.indexOf('[') + 1, segment.indexOf(']'))));
      }
    }
    return (Map<String, Object>) node;
  }
}
