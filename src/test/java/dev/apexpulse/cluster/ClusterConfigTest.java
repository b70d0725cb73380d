package dev.apexpulse.cluster;

import dev.apexpulse.support.VertxTest;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import dev.apexpulse.Node;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.ConfigException;
import dev.apexpulse.config.ConfigLoader;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cluster: section, the Hazelcast files in conf/, and standalone staying free of Hazelcast. */
@Timeout(60)
class ClusterConfigTest extends VertxTest {

  static PulseConfig load(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.putIfAbsent("PULSE_MODE", "production");
    all.putIfAbsent("PULSE_APP_100_SECRET", TestNode.SECRET);
    try {
      return ConfigLoader.load(vertx, all).await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  static PulseConfig with(JsonObject cluster) {
    return PulseConfig.from(TestNode.config().put("cluster", cluster));
  }

  @Test
  void shippedDefaultsAreStandaloneAndEveryKeyHasAnEnvironmentVariable() {
    ClusterConfig off = ClusterConfig.from(load(Map.of()));
    assertThat(off.enabled()).isFalse();
    assertThat(off.name()).isEqualTo("apex-pulse");
    assertThat(off.hazelcastConfig()).isEqualTo("conf/hazelcast-local.yaml");
    assertThat(off.members()).isEmpty();
    assertThat(off.minSize()).as("split-brain protection off by default").isEqualTo(1);

    ClusterConfig on = ClusterConfig.from(load(Map.of(
        "PULSE_CLUSTER_ENABLED", "true",
        "PULSE_CLUSTER_NAME", "orders",
        "PULSE_CLUSTER_MEMBERS", "127.0.0.1:5701, 127.0.0.1:5702",
        "PULSE_CLUSTER_PORT", "5702",
        "PULSE_CLUSTER_PORT_COUNT", "1",
        "PULSE_CLUSTER_HAZELCAST_CONFIG", "conf/hazelcast-k8s.yaml",
        "PULSE_CLUSTER_EVENT_BUS_HOST", "127.0.0.1",
        "PULSE_CLUSTER_EVENT_BUS_PORT", "5802",
        "PULSE_CLUSTER_EVENT_BUS_PUBLIC_HOST", "node-b.example",
        "PULSE_CLUSTER_MIN_SIZE", "2")));
    assertThat(on).isEqualTo(new ClusterConfig(true, "orders", "conf/hazelcast-k8s.yaml",
        List.of("127.0.0.1:5701", "127.0.0.1:5702"), 5702, 1, "127.0.0.1", 5802, "node-b.example", 2));
  }

  @Test
  void badValuesNameTheirKey() {
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("members", new JsonArray().add("127.0.0.1:5701-5703")))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.members[0]").hasMessageContaining("one by one");
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("port", 70000))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.port");
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("name", "my cluster"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.name");
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("enabled", "maybe"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.enabled");
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("hazelcastConfig", "conf/cluster.xml"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.hazelcastConfig");
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("minSize", 0))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.minSize");
    assertThatThrownBy(() -> ClusterConfig.from(with(new JsonObject().put("eventBusHost", "a host"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.eventBusHost");
    assertThatThrownBy(() -> ClusterConfig.from(PulseConfig.from(TestNode.config().put("cluster", "yes"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("configuration cluster:");
    assertThatThrownBy(() -> ClusterConfig.from(PulseConfig.from(TestNode.config()
        .put("history", new JsonObject().put("size", 0)).put("cluster", new JsonObject().put("enabled", true)))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("history.size");
  }

  @Test
  void aMissingHazelcastFileFailsTheStartNamingTheKeyWithoutStartingHazelcast() {
    PulseConfig config = with(new JsonObject().put("enabled", true).put("hazelcastConfig", "conf/nope.yaml"));
    assertThatThrownBy(() -> Node.start(config, new ClusterEngines()).await(20, TimeUnit.SECONDS))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.hazelcastConfig").hasMessageContaining("conf/nope.yaml");
    assertThat(Hazelcast.getAllHazelcastInstances()).isEmpty();
  }

  @Test
  void kubernetesFileTakesTheServiceNameFromTheEnvironment(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> HazelcastSetup.load("conf/hazelcast-k8s.yaml", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("PULSE_HZ_SERVICE_DNS");
    Config k8s = HazelcastSetup.load("conf/hazelcast-k8s.yaml", Map.of("PULSE_HZ_SERVICE_DNS", "apex-pulse-hz.prod.svc.cluster.local"));
    var join = k8s.getNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("apex-pulse-hz.prod.svc.cluster.local");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();

    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "hazelcast:\n  network:\n    port: [1, 2\n");
    assertThatThrownBy(() -> HazelcastSetup.load(broken.toString(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.hazelcastConfig");
  }

  @Test
  void overridesFromPulseConfigAreAppliedToTheLocalFile() {
    PulseConfig config = PulseConfig.from(TestNode.config()
        .put("history", new JsonObject().put("size", 250).put("ttlSeconds", 90))
        .put("cluster", new JsonObject().put("enabled", true).put("name", "unit").put("port", 15701).put("portCount", 3)
            .put("members", new JsonArray().add("127.0.0.1:15701").add("127.0.0.1:15702"))));
    Config hz = HazelcastSetup.build(ClusterConfig.from(config), config, Map.of());
    assertThat(hz.getClusterName()).isEqualTo("unit");
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(15701);
    assertThat(hz.getNetworkConfig().getPortCount()).isEqualTo(3);
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:15701", "127.0.0.1:15702");
    assertThat(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(hz.getNetworkConfig().getJoin().getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(hz.getRingbufferConfig("pulse.h.100:any/channel").getCapacity()).isEqualTo(250);
    assertThat(hz.getRingbufferConfig("pulse.h.100:any/channel").getTimeToLiveSeconds()).isEqualTo(90);
    assertThat(hz.getRingbufferConfig("pulse.h.100:any/channel").getBackupCount()).isEqualTo(1);
    assertThat(hz.getMultiMapConfig("__vertx.subs").getBackupCount()).isEqualTo(1);
    assertThat(hz.getMapConfig("pulse.presence").getPartitioningStrategyConfig().getPartitioningStrategyClass())
        .isEqualTo("com.hazelcast.partition.strategy.StringPartitioningStrategy");
    assertThat(hz.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("5");
    assertThat(hz.getMemberAttributeConfig().getAttribute(HazelcastSetup.NODE_ATTRIBUTE)).isEqualTo(config.nodeId());
  }

  @Test
  void minSizeProtectsRingsAndEpochsAndMakesAStartWaitForAMajority() {
    PulseConfig config = with(new JsonObject().put("enabled", true).put("minSize", 2));
    Config hz = HazelcastSetup.build(ClusterConfig.from(config), config, Map.of());
    var quorum = hz.getSplitBrainProtectionConfig(HazelcastSetup.QUORUM);
    assertThat(quorum.getMinimumClusterSize()).isEqualTo(2);
    assertThat(quorum.getProtectOn()).isEqualTo(com.hazelcast.splitbrainprotection.SplitBrainProtectionOn.READ_WRITE);
    // heartbeat 1 s, backup timeout 5 s: a stranded write completes after 5 s, the check fails after 3 + 1 s
    assertThat(quorum.getFunctionImplementation())
        .isInstanceOfSatisfying(com.hazelcast.splitbrainprotection.impl.RecentlyActiveSplitBrainProtectionFunction.class,
            f -> assertThat(f.getHeartbeatToleranceMillis()).isEqualTo(3000));
    assertThat(hz.getRingbufferConfig("pulse.h.100:any").getSplitBrainProtectionName()).isEqualTo(HazelcastSetup.QUORUM);
    assertThat(hz.getMapConfig(HazelcastSetup.EPOCHS).getSplitBrainProtectionName()).isEqualTo(HazelcastSetup.QUORUM);
    assertThat(hz.getProperty("hazelcast.initial.min.cluster.size")).isEqualTo("2");

    Config k8s = HazelcastSetup.build(ClusterConfig.from(with(new JsonObject().put("enabled", true).put("minSize", 2)
        .put("hazelcastConfig", "conf/hazelcast-k8s.yaml"))), config, Map.of("PULSE_HZ_SERVICE_DNS", "x.svc"));
    assertThat(k8s.getSplitBrainProtectionConfig(HazelcastSetup.QUORUM).getMinimumClusterSize()).isEqualTo(2);

    Config off = HazelcastSetup.build(ClusterConfig.from(with(new JsonObject().put("enabled", true))), config, Map.of());
    assertThat(off.getSplitBrainProtectionConfigs()).isEmpty();
    assertThat(off.getProperty("hazelcast.initial.min.cluster.size")).isNull();
  }

  @Test
  void aBackupTimeoutTooShortForTheToleranceIsRefusedNamingTheKey(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = dir.resolve("hz.yaml");
    Files.writeString(file, Files.readString(Path.of("conf/hazelcast-local.yaml"))
        .replace("hazelcast.max.no.heartbeat.seconds: 5", "hazelcast.max.no.heartbeat.seconds: 5\n    hazelcast.operation.backup.timeout.millis: 3000"));
    PulseConfig config = with(new JsonObject().put("enabled", true).put("minSize", 2).put("hazelcastConfig", file.toString()));
    assertThatThrownBy(() -> HazelcastSetup.build(ClusterConfig.from(config), config, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.minSize")
        .hasMessageContaining("hazelcast.operation.backup.timeout.millis");
  }

  @Test
  void standaloneStartsNoHazelcastAndStartsFast() {
    long t0 = System.nanoTime();
    try (TestNode node = TestNode.start()) {
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(node.node.describe()).isEqualTo("standalone");
      assertThat(Hazelcast.getAllHazelcastInstances()).isEmpty();
      assertThat(ms).as("standalone start").isLessThan(3000);
    }
  }

  @Test
  void mainRefusesABadClusterSectionWithExitCode2NamingTheKey() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.apexpulse.Main").redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    pb.environment().put("PULSE_CLUSTER_MEMBERS", "127.0.0.1:5701-5703");
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as(out).isEqualTo(2);
    assertThat(out).contains("cluster.members[0]");
  }
}
