package dev.apexpulse.k8s;

import dev.apexpulse.config.ConfigException;
import dev.apexpulse.config.PulseConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every manifest in k8s/ is valid, the kustomizations render, and the config copies are current. */
class ManifestsTest {
  private static final Path INGRESS = Repo.K8S.resolve("components/ingress-nginx");
  private static final Path PROMETHEUS = Repo.K8S.resolve("components/prometheus");
  private static final Path DEV = Repo.K8S.resolve("overlays/dev");

  @Test
  void everyManifestUnderK8sIsValid() throws IOException {
    Set<Path> patches = Set.copyOf(Kustomize.render(DEV).patchFiles);
    List<String> problems = new ArrayList<>();
    int checked = 0;
    try (Stream<Path> files = Files.walk(Repo.K8S)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        if (f.getFileName().toString().equals("kustomization.yaml") || f.startsWith(Repo.BASE.resolve("config"))) {
          continue; // kustomize's own files (rendered below) and the configuration files in the ConfigMap
        }
        for (Map<String, Object> doc : Repo.yamlDocs(f)) {
          checked++;
          for (String p : ManifestValidator.validate(doc, patches.contains(f))) {
            problems.add(Repo.K8S.relativize(f) + ": " + p);
          }
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(checked).isGreaterThanOrEqualTo(11);
  }

  @Test
  void baseRendersTheWholeGateway() {
    Kustomize base = Kustomize.render(Repo.BASE, INGRESS, PROMETHEUS);
    List<String> kinds = base.objects.stream().map(o -> (String) o.get("kind")).sorted().toList();
    assertThat(kinds).containsExactly("ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy",
        "PodDisruptionBudget", "PrometheusRule", "Service", "Service", "ServiceMonitor");
    for (Map<String, Object> o : base.objects) {
      assertThat(ManifestValidator.validate(o)).as("%s/%s", o.get("kind"), Kustomize.name(o)).isEmpty();
    }
    Deployment d = Kustomize.typed(base.only("Deployment"), Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("apex-pulse:0.1.0");
    // the generated ConfigMap (name with content hash) is the one mounted
    String configMap = Kustomize.name(base.only("ConfigMap"));
    assertThat(configMap).startsWith("apex-pulse-config-");
    assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(v -> assertThat(v.getConfigMap() == null ? null : v.getConfigMap().getName()).isEqualTo(configMap));
  }

  @Test
  void devOverlayIsOneStandaloneDevNode() {
    Kustomize dev = Kustomize.render(DEV);
    for (Map<String, Object> o : dev.objects) {
      assertThat(ManifestValidator.validate(o)).as("%s/%s", o.get("kind"), Kustomize.name(o)).isEmpty();
      if (!"Namespace".equals(o.get("kind"))) {
        assertThat(ManifestValidator.resolve(o, "metadata.namespace").values()).containsExactly("apex-pulse-dev");
      }
    }
    assertThat(dev.all("HorizontalPodAutoscaler")).isEmpty();
    Deployment d = Kustomize.typed(dev.only("Deployment"), Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("apex-pulse:dev");
    Map<String, String> env = K8sEnv.values(c);
    assertThat(env).containsEntry("PULSE_MODE", "dev").containsEntry("PULSE_CLUSTER_ENABLED", "false")
        .containsEntry("PULSE_LOG_FORMAT", "plain");
    // dev mode generates the secrets: the Secret may be absent
    assertThat(c.getEnvFrom().get(0).getSecretRef().getOptional()).isTrue();
    // merged by name, not appended: one entry per variable
    assertThat(c.getEnv().stream().map(EnvVar::getName).distinct().count()).isEqualTo(c.getEnv().size());
    assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("512Mi");
  }

  @Test
  void pulseYamlInTheConfigMapIsTheCurrentConfPulseYaml() {
    assertThat(Repo.read(Repo.BASE.resolve("config/pulse.yaml")))
        .as("k8s/base/config/pulse.yaml must equal conf/pulse.yaml: cp conf/pulse.yaml k8s/base/config/pulse.yaml")
        .isEqualTo(Repo.read(Repo.ROOT.resolve("conf/pulse.yaml")));
  }

  @Test
  void hazelcastK8sYamlInTheConfigMapIsTheCurrentConfFile() {
    Path conf = Repo.ROOT.resolve("conf/hazelcast-k8s.yaml");
    assumeTrue(Files.isRegularFile(conf), "conf/hazelcast-k8s.yaml comes with the cluster branch; not merged yet");
    assertThat(Repo.read(Repo.BASE.resolve("config/hazelcast-k8s.yaml")))
        .as("k8s/base/config/hazelcast-k8s.yaml must equal conf/hazelcast-k8s.yaml: cp conf/hazelcast-k8s.yaml k8s/base/config/")
        .isEqualTo(Repo.read(conf));
  }

  @Test
  @SuppressWarnings("unchecked")
  void secretTemplateIsNotAppliedAndItsPlaceholdersAreRefused() {
    Map<String, Object> kustomization = Repo.yaml(Repo.BASE.resolve("kustomization.yaml"));
    assertThat((List<Object>) kustomization.get("resources")).doesNotContain("secret-template.yaml");

    Secret secret = Kustomize.typed(Repo.yaml(Repo.BASE.resolve("secret-template.yaml")), Secret.class);
    Deployment d = Kustomize.typed(Kustomize.render(Repo.BASE).only("Deployment"), Deployment.class);
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnvFrom())
        .anySatisfy(e -> assertThat(e.getSecretRef().getName()).isEqualTo(secret.getMetadata().getName()));
    assertThat(secret.getData()).isNullOrEmpty();
    Set<String> apps = new TreeSet<>();
    for (Map.Entry<String, String> e : secret.getStringData().entrySet()) {
      assertThat(e.getKey()).matches("PULSE_APP_[A-Z0-9_]+_(SECRET|API_KEY)");
      assertThat(e.getValue()).isEqualTo("REPLACE_ME");
      apps.add(e.getKey().replaceAll("^PULSE_APP_|_(SECRET|API_KEY)$", ""));
    }
    // every app in pulse.yaml has both entries
    JsonObject conf = new JsonObject(Repo.yaml(Repo.BASE.resolve("config/pulse.yaml")));
    assertThat(apps).containsExactlyInAnyOrderElementsOf(conf.getJsonObject("apps").fieldNames());
    for (String app : apps) {
      assertThat(secret.getStringData()).containsKeys("PULSE_APP_" + app + "_SECRET", "PULSE_APP_" + app + "_API_KEY");
    }
    // a production node refuses to start with the placeholders left in
    JsonObject config = conf.copy().put("mode", "production");
    config.getJsonObject("apps").getJsonObject("100").put("secret", "REPLACE_ME").put("apiKey", "REPLACE_ME");
    assertThatThrownBy(() -> PulseConfig.from(config)).isInstanceOf(ConfigException.class).hasMessageContaining("apps.100");
  }

  @Test
  void kustomizationsOnlyUseFilesInsideTheirDirectoryOrAbove() {
    // kustomize's default load restrictor: files of a generator must be below the kustomization;
    // the renderer refuses ../ paths in generators, so rendering every kustomization proves it
    Kustomize.render(Repo.BASE);
    Kustomize.render(DEV);
    Kustomize.render(Repo.BASE, INGRESS, PROMETHEUS);
  }
}
