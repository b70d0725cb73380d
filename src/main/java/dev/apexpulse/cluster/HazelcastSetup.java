package dev.apexpulse.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.PartitioningStrategyConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.config.YamlConfigBuilder;
import com.hazelcast.partition.strategy.StringPartitioningStrategy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.ChannelRules;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.ConfigException;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.history.Retention;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a fresh Hazelcast {@link Config} per node: the YAML file named by
 * {@code cluster.hazelcastConfig} (from the working directory, else the copy inside the jar), read by
 * Hazelcast's own YAML loader with {@code ${NAME}} placeholders taken from system properties and the
 * environment, then the overrides from {@code cluster:} and {@code history:} applied in code.
 */
public final class HazelcastSetup {
  /** Ringbuffer name pattern of channel histories; capacity and TTL come from {@code history:}. */
  public static final String RING_PATTERN = "pulse.h.*";
  public static final String RING_PREFIX = "pulse.h.";
  /** The ring name prefix of a retention other than {@code history:}'s: "pulse.h&lt;size&gt;t&lt;ttl&gt;.", which pulse.h.* does not match. */
  private static final String RETENTION_PREFIX = "pulse.h%dt%d.";
  public static final String EPOCHS = "pulse.epochs";
  /** Generation of each empty-epoch slot (see ChannelDirectory). */
  public static final String GENERATIONS = "pulse.generations";
  public static final String PRESENCE = "pulse.presence";
  /** Idempotency keys ({@link HazelcastIdempotency}): TTL and size from {@code idempotency:}. */
  public static final String IDEMPOTENCY = "pulse.idem";
  /** Member attribute naming the pulse node, so services that join the cluster are told apart. */
  public static final String NODE_ATTRIBUTE = "pulse.node";
  /** The split-brain protection of the history rings and epochs (cluster.minSize above 1). */
  public static final String QUORUM = "pulse-quorum";
  static final String HEARTBEAT = "hazelcast.heartbeat.interval.seconds";
  static final String MAX_NO_HEARTBEAT = "hazelcast.max.no.heartbeat.seconds";
  static final String BACKUP_TIMEOUT = "hazelcast.operation.backup.timeout.millis";
  static final String INITIAL_MIN_SIZE = "hazelcast.initial.min.cluster.size";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");

  private HazelcastSetup() {}

  /**
   * The ring name prefix of channels with this retention. Hazelcast configures rings by name pattern, so
   * each retention has a pattern of its own; the global one keeps {@value #RING_PREFIX}, the names
   * rings always had.
   */
  static String ringPrefix(Retention r, Retention global) {
    return r.equals(global) ? RING_PREFIX : String.format(RETENTION_PREFIX, r.size(), r.ttlSeconds());
  }

  static Retention global(PulseConfig pulse) {
    return new Retention(pulse.history().size(), pulse.history().ttlSeconds());
  }

  /** Every retention the channel options of the configured apps give (ephemeral channels have none). */
  private static Set<Retention> retentions(PulseConfig pulse) {
    Set<Retention> out = new LinkedHashSet<>();
    for (AppConfig app : pulse.apps().values()) {
      for (ChannelRules.Rule rule : app.channels().rules()) {
        if (!rule.options().ephemeral()) {
          out.add(new Retention(rule.options().historySize(), rule.options().historyTtlSeconds()));
        }
      }
    }
    return out;
  }

  public static Config build(ClusterConfig cluster, PulseConfig pulse, Map<String, String> env) {
    Config cfg = load(cluster.hazelcastConfig(), env);
    apply(cfg, cluster, pulse);
    return cfg;
  }

  /** Reads the YAML file; a missing file, an unset placeholder or invalid YAML names the key. */
  public static Config load(String file, Map<String, String> env) {
    String key = "cluster.hazelcastConfig";
    byte[] bytes;
    try {
      bytes = read(file);
    } catch (IOException e) {
      throw new ConfigException(key, "cannot read " + file + ": " + e.getMessage());
    }
    if (bytes == null) {
      throw new ConfigException(key, "no such file: " + file + " (neither in the working directory nor in the jar)");
    }
    Properties props = new Properties();
    props.putAll(env);
    props.putAll(System.getProperties());
    TreeSet<String> unset = new TreeSet<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (line.trim().startsWith("#")) {
        continue;
      }
      Matcher m = PLACEHOLDER.matcher(line);
      while (m.find()) {
        if (props.getProperty(m.group(1)) == null) {
          unset.add(m.group(1));
        }
      }
    }
    if (!unset.isEmpty()) {
      throw new ConfigException(key, file + " uses ${" + String.join("}, ${", unset) + "}, not set in the environment");
    }
    try {
      return new YamlConfigBuilder(new ByteArrayInputStream(bytes)).setProperties(props).build();
    } catch (RuntimeException e) {
      throw new ConfigException(key, file + " is not a valid Hazelcast YAML configuration: " + e.getMessage());
    }
  }

  private static byte[] read(String file) throws IOException {
    Path path = Path.of(file);
    if (Files.isRegularFile(path)) {
      return Files.readAllBytes(path);
    }
    String resource = file.startsWith("/") ? file.substring(1) : file;
    try (InputStream in = HazelcastSetup.class.getClassLoader().getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  /** The overrides from the pulse configuration, and what pulse and Vert.x need whatever the file says. */
  static void apply(Config cfg, ClusterConfig cluster, PulseConfig pulse) {
    cfg.setClusterName(cluster.name());
    cfg.setProperty("hazelcast.phone.home.enabled", "false");
    if (cfg.getProperty("hazelcast.logging.type") == null) {
      cfg.setProperty("hazelcast.logging.type", "slf4j");
    }
    NetworkConfig net = cfg.getNetworkConfig();
    if (cluster.port() > 0) {
      net.setPort(cluster.port());
      net.setPortCount(cluster.portCount());
      net.setPortAutoIncrement(cluster.portCount() > 1);
    }
    if (!cluster.members().isEmpty()) {
      JoinConfig join = net.getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    }
    cfg.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, pulse.nodeId());
    cfg.getMemberAttributeConfig().setAttribute(ChannelDirectory.PROTOCOL_ATTRIBUTE, ChannelDirectory.PROTOCOL);

    // what vertx-hazelcast's default-cluster.xml declares: its maps must keep a backup
    if (!cfg.getMultiMapConfigs().containsKey("__vertx.subs")) {
      cfg.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
          .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    }
    for (String name : new String[] {"__vertx.haInfo", "__vertx.nodeInfo"}) {
      if (!cfg.getMapConfigs().containsKey(name)) {
        cfg.addMapConfig(new MapConfig(name).setBackupCount(1));
      }
    }

    // history rings: one per channel, sized by history:, at least one synchronous backup
    RingbufferConfig ring = cfg.getRingbufferConfigs().get(RING_PATTERN);
    if (ring == null) {
      ring = new RingbufferConfig(RING_PATTERN);
      cfg.addRingBufferConfig(ring);
    }
    ring.setCapacity(pulse.history().size()).setTimeToLiveSeconds(pulse.history().ttlSeconds());
    if (ring.getBackupCount() + ring.getAsyncBackupCount() < 1) {
      ring.setBackupCount(1);
    }
    // channel options with a history of their own: one pattern per distinct retention, backups as above
    Retention global = global(pulse);
    for (Retention r : retentions(pulse)) {
      String prefix = ringPrefix(r, global);
      if (!prefix.equals(RING_PREFIX) && !cfg.getRingbufferConfigs().containsKey(prefix + "*")) {
        cfg.addRingBufferConfig(new RingbufferConfig(ring).setName(prefix + "*")
            .setCapacity(r.size()).setTimeToLiveSeconds(r.ttlSeconds()));
      }
    }
    for (String name : new String[] {EPOCHS, GENERATIONS}) {
      if (!cfg.getMapConfigs().containsKey(name)) {
        cfg.addMapConfig(new MapConfig(name).setBackupCount(1));
      }
    }
    // presence: the entries of one channel share a partition (key "<who>@<channel id>"), so a
    // channel's presence is a query of one partition
    MapConfig presence = cfg.getMapConfigs().get(PRESENCE);
    if (presence == null) {
      presence = new MapConfig(PRESENCE).setBackupCount(1);
      cfg.addMapConfig(presence);
    }
    presence.setPartitioningStrategyConfig(new PartitioningStrategyConfig(StringPartitioningStrategy.class.getName()));
    // idempotency keys: the window as TTL, about maxKeys per member (least recently used evicted first;
    // Hazelcast bounds each partition to its share, which is why keys spread over all partitions)
    MapConfig idempotency = cfg.getMapConfigs().get(IDEMPOTENCY);
    if (idempotency == null) {
      idempotency = new MapConfig(IDEMPOTENCY).setBackupCount(1);
      cfg.addMapConfig(idempotency);
    }
    idempotency.setTimeToLiveSeconds(pulse.idempotency().windowSeconds())
        .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
            .setMaxSizePolicy(MaxSizePolicy.PER_NODE).setSize(pulse.idempotency().maxKeys()));
    if (cluster.minSize() > 1) {
      List<RingbufferConfig> rings = new ArrayList<>();
      cfg.getRingbufferConfigs().forEach((name, r) -> {
        if (name.startsWith("pulse.h")) {
          rings.add(r);
        }
      });
      protect(cfg, cluster.minSize(), rings, cfg.getMapConfig(EPOCHS), cfg.getMapConfig(GENERATIONS));
    }
  }

  /**
   * Split-brain protection for what decides offsets, the rings (of every retention) and the epochs: a member that has heard
   * from fewer than {@code minSize} data members (itself included) within the tolerance refuses to read
   * or write them, and {@link HazelcastHistory} checks the same after every append, so a publish made
   * in a minority is never acknowledged. Hazelcast completes a write whose backup never answered once
   * the backup timeout is over, without an error; the tolerance is therefore shorter than that timeout
   * by a heartbeat and a second, and a write stranded in a minority is refused by the check after it.
   *
   * <p>A (re)starting member waits for {@code minSize} members before it completes its start, so a node
   * cut off from the majority never serves from a cluster of its own.
   */
  static void protect(Config cfg, int minSize, List<RingbufferConfig> rings, MapConfig... maps) {
    long heartbeat = property(cfg, HEARTBEAT, 5) * 1000;
    long maxNoHeartbeat = property(cfg, MAX_NO_HEARTBEAT, 60) * 1000;
    long backupTimeout = property(cfg, BACKUP_TIMEOUT, 5000);
    long tolerance = backupTimeout - heartbeat - 1000;
    if (tolerance < 2 * heartbeat || tolerance > maxNoHeartbeat) {
      throw new ConfigException("cluster.minSize", String.format("split-brain protection needs %s between 3 heartbeats"
              + " + 1 s (%d ms) and %s + heartbeat + 1 s (%d ms) in the Hazelcast file; it is %d ms", BACKUP_TIMEOUT,
          3 * heartbeat + 1000, MAX_NO_HEARTBEAT, maxNoHeartbeat + heartbeat + 1000, backupTimeout));
    }
    cfg.addSplitBrainProtectionConfig(SplitBrainProtectionConfig
        .newRecentlyActiveSplitBrainProtectionConfigBuilder(QUORUM, minSize, (int) tolerance).build()
        .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
    for (RingbufferConfig ring : rings) {
      ring.setSplitBrainProtectionName(QUORUM);
    }
    for (MapConfig map : maps) {
      map.setSplitBrainProtectionName(QUORUM);
    }
    if (cfg.getProperty(INITIAL_MIN_SIZE) == null) {
      cfg.setProperty(INITIAL_MIN_SIZE, Integer.toString(minSize));
    }
  }

  /** A numeric Hazelcast property: the file's, else a system property, else Hazelcast's default. */
  static long property(Config cfg, String name, long fallback) {
    String v = cfg.getProperty(name);
    if (v == null) {
      v = System.getProperty(name);
    }
    try {
      return v == null ? fallback : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
