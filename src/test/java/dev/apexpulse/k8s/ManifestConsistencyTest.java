package dev.apexpulse.k8s;

import dev.apexpulse.config.ConfigLoader;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestDb;
import dev.apexpulse.support.TestNode;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.YamlConfigBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The manifests agree with the code and its configuration: ports, probe paths, labels and selectors,
 * the Hazelcast discovery file, the NetworkPolicy, drain timings, the environment the pod gets, and the
 * metric names the alerts use.
 */
class ManifestConsistencyTest {
  /** Margin Main gives Node.stop() beyond readiness delay + grace (Main.drain). */
  private static final int STOP_MARGIN_SECONDS = 10;
  /** PULSE_* variables that are not keys of pulse.yaml. */
  private static final Set<String> NOT_CONFIG_KEYS = Set.of("PULSE_CONF", "PULSE_LOG_FORMAT", "PULSE_LOG_LEVEL", "PULSE_HZ_SERVICE_DNS");

  private final Kustomize base = Kustomize.render(Repo.BASE, Repo.K8S.resolve("components/ingress-nginx"),
      Repo.K8S.resolve("components/prometheus"));
  private final Deployment deployment = Kustomize.typed(base.only("Deployment"), Deployment.class);
  private final PodSpec pod = deployment.getSpec().getTemplate().getSpec();
  private final Container container = pod.getContainers().get(0);
  private final Map<String, String> env = K8sEnv.values(container);
  private final Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
  private final JsonObject conf = new JsonObject(Repo.yaml(Repo.ROOT.resolve("conf/pulse.yaml")));

  private Service service(String name) {
    return Kustomize.typed(base.find("Service", name), Service.class);
  }

  private Service clientService() {
    return service("apex-pulse");
  }

  private Service headlessService() {
    return service("apex-pulse-hz");
  }

  private int containerPort(String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(ContainerPort::getContainerPort).orElseThrow(() -> new AssertionError("no container port named " + name));
  }

  private int resolve(IntOrString port) {
    return port.getIntVal() != null ? port.getIntVal() : containerPort(port.getStrVal());
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  private static void assertSelectsOnlyMatchLabels(LabelSelector s, Map<String, String> labels, String what) {
    assertThat(s.getMatchExpressions()).as(what + " matchExpressions").isNullOrEmpty();
    assertThat(selects(s.getMatchLabels(), labels)).as(what + " " + s.getMatchLabels() + " selects pods labelled " + labels).isTrue();
  }

  // ---- labels and selectors

  @Test
  void everySelectorSelectsTheGatewayPods() {
    assertSelectsOnlyMatchLabels(deployment.getSpec().getSelector(), podLabels, "Deployment selector");
    assertThat(selects(clientService().getSpec().getSelector(), podLabels)).as("client Service selector").isTrue();
    assertThat(selects(headlessService().getSpec().getSelector(), podLabels)).as("headless Service selector").isTrue();
    PodDisruptionBudget pdb = Kustomize.typed(base.only("PodDisruptionBudget"), PodDisruptionBudget.class);
    assertSelectsOnlyMatchLabels(pdb.getSpec().getSelector(), podLabels, "PodDisruptionBudget");
    NetworkPolicy np = Kustomize.typed(base.only("NetworkPolicy"), NetworkPolicy.class);
    assertSelectsOnlyMatchLabels(np.getSpec().getPodSelector(), podLabels, "NetworkPolicy podSelector");
    pod.getTopologySpreadConstraints().forEach(t -> assertSelectsOnlyMatchLabels(t.getLabelSelector(), podLabels, "topologySpread"));

    HorizontalPodAutoscaler hpa = Kustomize.typed(base.only("HorizontalPodAutoscaler"), HorizontalPodAutoscaler.class);
    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
    assertThat(hpa.getSpec().getScaleTargetRef().getApiVersion()).isEqualTo(deployment.getApiVersion());
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(deployment.getMetadata().getName());
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(deployment.getSpec().getReplicas());
    assertThat(hpa.getSpec().getMaxReplicas()).isGreaterThan(hpa.getSpec().getMinReplicas());
    // a CPU utilisation target needs a CPU request
    assertThat(container.getResources().getRequests()).containsKey("cpu");
  }

  @Test
  void splitBrainProtectionNeedsAMajorityAndSurvivesOneVoluntaryDisruption() {
    int minSize = Integer.parseInt(env.get("PULSE_CLUSTER_MIN_SIZE"));
    HorizontalPodAutoscaler hpa = Kustomize.typed(base.only("HorizontalPodAutoscaler"), HorizontalPodAutoscaler.class);
    PodDisruptionBudget pdb = Kustomize.typed(base.only("PodDisruptionBudget"), PodDisruptionBudget.class);
    int replicas = deployment.getSpec().getReplicas();
    assertThat(minSize).as("cluster.minSize a majority of %s replicas", replicas).isGreaterThan(replicas / 2);
    // scaled in to minReplicas with one pod drained (the PDB allows one), the rest still has a quorum
    assertThat(hpa.getSpec().getMinReplicas() - pdb.getSpec().getMaxUnavailable().getIntVal())
        .as("pods left in a disruption at minReplicas").isGreaterThanOrEqualTo(minSize);
  }

  @Test
  void serviceMonitorScrapesTheClientServiceOnly() {
    ServiceMonitor sm = Kustomize.typed(base.only("ServiceMonitor"), ServiceMonitor.class);
    List<String> selected = new ArrayList<>();
    for (Map<String, Object> s : base.all("Service")) {
      Service svc = Kustomize.typed(s, Service.class);
      if (selects(sm.getSpec().getSelector().getMatchLabels(), svc.getMetadata().getLabels())) {
        selected.add(svc.getMetadata().getName());
      }
    }
    assertThat(selected).containsExactly(clientService().getMetadata().getName());
    assertThat(sm.getSpec().getEndpoints()).allSatisfy(e -> {
      assertThat(clientService().getSpec().getPorts()).extracting(ServicePort::getName).contains(e.getPort());
      assertThat(e.getPath()).isEqualTo("/metrics");
    });
  }

  // ---- ports

  @Test
  void httpPortIsTheConfiguredOneEverywhere() {
    int configured = conf.getJsonObject("http").getInteger("port");
    assertThat(env).doesNotContainKey("PULSE_HTTP_PORT");
    assertThat(containerPort("http")).isEqualTo(configured);
    ServicePort client = clientService().getSpec().getPorts().get(0);
    assertThat(client.getName()).isEqualTo("http");
    assertThat(resolve(client.getTargetPort())).isEqualTo(configured);
    for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())) {
      assertThat(resolve(probe.getHttpGet().getPort())).isEqualTo(configured);
    }
    Ingress ingress = Kustomize.typed(base.only("Ingress"), Ingress.class);
    ingress.getSpec().getRules().forEach(r -> r.getHttp().getPaths().forEach(p -> {
      assertThat(p.getBackend().getService().getName()).isEqualTo(clientService().getMetadata().getName());
      assertThat(clientService().getSpec().getPorts()).extracting(ServicePort::getName).contains(p.getBackend().getService().getPort().getName());
    }));
  }

  @Test
  void probePathsAndScrapePathAnswerOnARealNode() throws Exception {
    ServiceMonitor sm = Kustomize.typed(base.only("ServiceMonitor"), ServiceMonitor.class);
    try (TestNode node = TestNode.start()) {
      for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())) {
        String path = probe.getHttpGet().getPath();
        assertThat(path).startsWith("/health/");
        assertThat(Http.get(node.httpBase() + path, null).status()).as(path).isEqualTo(200);
      }
      Http.Response metrics = Http.get(node.httpBase() + sm.getSpec().getEndpoints().get(0).getPath(), null);
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.body()).contains("pulse_connections");
      // the ingress routes the WebSocket path and the API, which exist
      assertThat(Http.get(node.httpBase() + "/api/v1/apps/100/channels", null).status()).isEqualTo(401);
    }
    Ingress ingress = Kustomize.typed(base.only("Ingress"), Ingress.class);
    assertThat(ingress.getSpec().getRules().get(0).getHttp().getPaths()).extracting(p -> p.getPath())
        .containsExactly("/ws", "/api/v1");
  }

  @Test
  void hazelcastDiscoveryFindsTheHeadlessServiceOnItsPort() {
    Service headless = headlessService();
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
    int hzPort = containerPort("hazelcast");
    assertThat(headless.getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(hzPort))
        .satisfies(p -> assertThat(resolve(p.getTargetPort())).isEqualTo(hzPort));

    // the Hazelcast file the pod is told to use is in the mounted ConfigMap
    Path file = mountedFile(env.get("PULSE_CLUSTER_HAZELCAST_CONFIG"));
    assertThat(file.getFileName().toString()).isEqualTo("hazelcast-k8s.yaml");
    String yaml = configMapData().get(file.getFileName().toString());
    assertThat(yaml).contains("${PULSE_HZ_SERVICE_DNS}");
    Properties props = new Properties();
    props.putAll(env);
    Config hz = new YamlConfigBuilder(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).setProperties(props).build();
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    String dns = join.getKubernetesConfig().getProperty("service-dns");
    assertThat(dns).isEqualTo(headless.getMetadata().getName() + "." + K8sEnv.NAMESPACE + ".svc.cluster.local");
    assertThat(Integer.parseInt(join.getKubernetesConfig().getProperty("service-port"))).isEqualTo(hzPort);
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(hzPort);
    assertThat(Integer.parseInt(env.get("PULSE_CLUSTER_PORT"))).isEqualTo(hzPort);
    assertThat(env.get("PULSE_CLUSTER_PORT_COUNT")).isEqualTo("1");
    assertThat(env).containsEntry("PULSE_CLUSTER_ENABLED", "true");
  }

  @Test
  void networkPolicyOpensHttpToAllAndClusterPortsToGatewayPodsOnly() {
    NetworkPolicy np = Kustomize.typed(base.only("NetworkPolicy"), NetworkPolicy.class);
    assertThat(np.getSpec().getPolicyTypes()).contains("Ingress");
    int http = containerPort("http");
    int hazelcast = containerPort("hazelcast");
    int eventBus = containerPort("eventbus");
    assertThat(Integer.parseInt(env.get("PULSE_CLUSTER_EVENT_BUS_PORT"))).as("the pinned event-bus port").isEqualTo(eventBus);

    Set<Integer> open = new TreeSet<>();
    Set<Integer> peersOnly = new TreeSet<>();
    for (NetworkPolicyIngressRule rule : np.getSpec().getIngress()) {
      Set<Integer> ports = new TreeSet<>();
      for (NetworkPolicyPort p : rule.getPorts()) {
        assertThat(p.getEndPort()).as("no port ranges").isNull();
        ports.add(resolve(p.getPort()));
      }
      if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
        open.addAll(ports);
      } else {
        assertThat(rule.getFrom()).allSatisfy(peer -> {
          assertThat(peer.getIpBlock()).isNull();
          assertThat(peer.getNamespaceSelector()).isNull();
          assertSelectsOnlyMatchLabels(peer.getPodSelector(), podLabels, "peer");
        });
        peersOnly.addAll(ports);
      }
    }
    assertThat(open).containsExactly(http);
    assertThat(peersOnly).containsExactlyInAnyOrder(hazelcast, eventBus);
    // every port the container listens on is reachable by someone
    assertThat(container.getPorts()).extracting(ContainerPort::getContainerPort).allSatisfy(p ->
        assertThat(open.contains(p) || peersOnly.contains(p)).as("port %s allowed", p).isTrue());
  }

  // ---- the environment the pod starts with

  @Test
  void podEnvironmentLoadsAsAProductionConfiguration() throws Exception {
    Map<String, String> podEnv = new HashMap<>(env);
    podEnv.put("PULSE_APP_100_SECRET", "k8s-test-secret-0123456789-0123456789-abc");
    podEnv.put("PULSE_APP_100_API_KEY", "k8s-test-api-key-0123456789");
    podEnv.put("PULSE_CONF", mountedFile(env.get("PULSE_CONF")).toString());
    Vertx vertx = Vertx.vertx();
    PulseConfig config;
    try {
      config = ConfigLoader.load(vertx, podEnv).await(20, TimeUnit.SECONDS);
    } finally {
      vertx.close();
    }
    assertThat(config.mode()).isEqualTo(PulseConfig.Mode.PRODUCTION);
    assertThat(config.nodeId()).isEqualTo("n-" + K8sEnv.POD_NAME);
    assertThat(config.http().port()).isEqualTo(containerPort("http"));
    assertThat(config.http().demo()).isFalse();
    assertThat(config.drainReadinessDelaySeconds()).isPositive();
    drainFitsTheGracePeriod(deployment, config.drainReadinessDelaySeconds(), config.drainGraceSeconds());
    if (!config.section("cluster").isEmpty()) {
      // with the cluster branch merged: the keys exist and take the pod's values
      assertThat(config.section("cluster").getValue("enabled").toString()).isEqualTo("true");
      assertThat(config.section("cluster").getString("hazelcastConfig")).isEqualTo(env.get("PULSE_CLUSTER_HAZELCAST_CONFIG"));
    }
  }

  @Test
  void devOverlayDrainFitsItsGracePeriod() {
    Deployment dev = Kustomize.typed(Kustomize.render(Repo.K8S.resolve("overlays/dev")).only("Deployment"), Deployment.class);
    Map<String, String> devEnv = K8sEnv.values(dev.getSpec().getTemplate().getSpec().getContainers().get(0));
    drainFitsTheGracePeriod(dev, Integer.parseInt(devEnv.get("PULSE_DRAIN_READINESS_DELAY_SECONDS")),
        Integer.parseInt(devEnv.get("PULSE_DRAIN_GRACE_SECONDS")));
  }

  /** preStop sleep, then SIGTERM: readiness delay + grace + Main's margin must end before SIGKILL. */
  private static void drainFitsTheGracePeriod(Deployment d, int readinessDelay, int grace) {
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> preStop = c.getLifecycle().getPreStop().getExec().getCommand();
    assertThat(preStop).hasSize(2).first().isEqualTo("sleep");
    int sleep = Integer.parseInt(preStop.get(1));
    long period = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertThat(period).as("terminationGracePeriodSeconds >= preStop %s + readiness delay %s + grace %s + margin %s",
        sleep, readinessDelay, grace, STOP_MARGIN_SECONDS).isGreaterThanOrEqualTo(sleep + readinessDelay + grace + STOP_MARGIN_SECONDS);
    // and not absurdly more: a stuck pod should not block a roll for long
    assertThat(period).isLessThanOrEqualTo(sleep + readinessDelay + grace + 3L * STOP_MARGIN_SECONDS);
  }

  @Test
  void everyPulseVariableNamesAConfigurationKey() {
    Set<String> known = new TreeSet<>();
    leaves(conf.getMap(), "PULSE", known);
    List<String> unknown = new ArrayList<>();
    for (String name : env.keySet()) {
      if (!name.startsWith("PULSE_") || NOT_CONFIG_KEYS.contains(name) || name.startsWith("PULSE_APP_")
          || name.startsWith("PULSE_CLUSTER_")) {
        continue;
      }
      if (!known.contains(name)) {
        unknown.add(name);
      }
    }
    assertThat(unknown).as("PULSE_* variables with no key in conf/pulse.yaml (ignored by the node)").isEmpty();
  }

  @Test
  void everyClusterVariableNamesAClusterKey() {
    assumeTrue(conf.containsKey("cluster"), "conf/pulse.yaml has no cluster: section until the cluster branch is merged");
    Set<String> known = new TreeSet<>();
    leaves(conf.getMap(), "PULSE", known);
    assertThat(env.keySet().stream().filter(n -> n.startsWith("PULSE_CLUSTER_")).toList()).allSatisfy(n -> assertThat(known).contains(n));
  }

  @SuppressWarnings("unchecked")
  private static void leaves(Map<String, Object> node, String prefix, Set<String> out) {
    for (Map.Entry<String, Object> e : node.entrySet()) {
      String name = prefix + "_" + e.getKey().replaceAll("([A-Z])", "_$1").toUpperCase();
      if (e.getValue() instanceof Map<?, ?> child) {
        leaves((Map<String, Object>) child, name, out);
      } else {
        out.add(name);
      }
    }
  }

  private Map<String, String> configMapData() {
    return Kustomize.typed(base.only("ConfigMap"), ConfigMap.class).getData();
  }

  /** The file a pod path names, written from the ConfigMap that is mounted there. */
  private Path mountedFile(String podPath) throws java.io.UncheckedIOException {
    VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getName().equals("config")).findFirst().orElseThrow();
    assertThat(podPath).startsWith(mount.getMountPath() + "/");
    assertThat(mount.getReadOnly()).isTrue();
    String key = podPath.substring(mount.getMountPath().length() + 1);
    assertThat(configMapData()).as("ConfigMap keys").containsKey(key);
    try {
      Path dir = Files.createTempDirectory("pulse-k8s");
      Path file = dir.resolve(key);
      Files.writeString(file, configMapData().get(key));
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- resources, security

  @Test
  void containerIsLockedDownAndSizedForItsHeap() {
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(pod.getAutomountServiceAccountToken()).as("DNS discovery needs no API token").isFalse();
    var sc = container.getSecurityContext();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    // the writable places are emptyDirs
    Map<String, String> mounts = new LinkedHashMap<>();
    container.getVolumeMounts().forEach(m -> mounts.put(m.getMountPath(), m.getName()));
    for (String path : List.of("/tmp", "/app/data")) {
      String volume = mounts.get(path);
      assertThat(volume).as("a volume at " + path).isNotNull();
      assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals(volume)).singleElement()
          .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    }
    // memory: limit = request (no overcommit surprises), the heap a share of it
    var res = container.getResources();
    assertThat(res.getLimits().get("memory")).isEqualTo(res.getRequests().get("memory"));
    Matcher m = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(env.get("JAVA_TOOL_OPTIONS"));
    assertThat(m.find()).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isBetween(40, 75);
    assertThat(env.get("JAVA_TOOL_OPTIONS")).contains("-XX:+ExitOnOutOfMemoryError");
  }

  @Test
  void ingressTimeoutsOutliveTheHeartbeatAndBodiesFit() {
    Ingress ingress = Kustomize.typed(base.only("Ingress"), Ingress.class);
    Map<String, String> a = ingress.getMetadata().getAnnotations();
    int heartbeat = conf.getJsonObject("heartbeat").getInteger("intervalSeconds");
    assertThat(Integer.parseInt(a.get("nginx.ingress.kubernetes.io/proxy-read-timeout"))).isGreaterThan(2 * heartbeat);
    assertThat(Integer.parseInt(a.get("nginx.ingress.kubernetes.io/proxy-send-timeout"))).isGreaterThan(2 * heartbeat);
    String body = a.get("nginx.ingress.kubernetes.io/proxy-body-size");
    assertThat(body).matches("\\d+m");
    assertThat(Long.parseLong(body.replace("m", "")) << 20).isGreaterThanOrEqualTo(conf.getJsonObject("http").getLong("maxBodyBytes"));
  }

  // ---- metrics the alerts and docs name

  @Test
  void alertsAndOperationsDocNameRealMetrics() {
    Set<String> exposed = new TreeSet<>();
    // a real node with a database, so the database and outbox meters are there too
    try (TestDb db = TestDb.memory("alerts"); TestNode node = TestNode.start(db.nodeConfig())) {
      PulseMetrics metrics = node.node.metrics();
      metrics.closed(1012);
      metrics.upgradeRefused("limit");
      metrics.delivered(1, 1000);
      for (String line : metrics.registry().scrape().split("\n")) {
        if (!line.startsWith("#") && !line.isBlank()) {
          exposed.add(line.split("[{ ]")[0]);
        }
      }
    }
    PrometheusRule rules = Kustomize.typed(base.only("PrometheusRule"), PrometheusRule.class);
    Set<String> used = new TreeSet<>();
    rules.getSpec().getGroups().forEach(g -> g.getRules().forEach(r -> used.addAll(pulseNames(r.getExpr().getStrVal()))));
    assertThat(used).isNotEmpty();
    assertThat(exposed).containsAll(used);
    Path ops = Repo.ROOT.resolve("docs/OPERATIONS.md");
    if (Files.isRegularFile(ops)) {
      Set<String> documented = pulseNames(Repo.read(ops));
      assertThat(documented).isNotEmpty();
      assertThat(exposed).containsAll(documented);
    }
  }

  private static Set<String> pulseNames(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("\\bpulse_[a-z_]+[a-z]").matcher(text);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }
}
