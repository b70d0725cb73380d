package dev.apexpulse.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code cluster:} section. Validated on every start (cheap, no Hazelcast classes touched), so a
 * typo fails at once even while clustering is off; the Hazelcast file itself is read only when on.
 *
 * @param members         TCP-IP join members ({@code host} or {@code host:port}); empty keeps the
 *                        join section of the Hazelcast file as it is (e.g. Kubernetes discovery)
 * @param port            first Hazelcast member port; 0 keeps the file's
 * @param portCount       ports tried upwards from {@code port} when it is taken
 * @param eventBusHost    address the event bus binds to; empty: the Hazelcast member address
 * @param eventBusPort    0: a random free port
 * @param eventBusPublicHost address other nodes use to reach this one (NAT, containers); empty: the bind host
 * @param minSize         split-brain protection: the fewest gateway members a node must see to serve
 *                        (a majority of the cluster's size: 2 of 3); 1 turns it off
 */
public record ClusterConfig(
    boolean enabled,
    String name,
    String hazelcastConfig,
    List<String> members,
    int port,
    int portCount,
    String eventBusHost,
    int eventBusPort,
    String eventBusPublicHost,
    int minSize) {

  public static final String DEFAULT_HAZELCAST_CONFIG = "conf/hazelcast-local.yaml";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.:\\[\\]-]{1,253}");
  private static final Pattern MEMBER = Pattern.compile("([A-Za-z0-9_.-]{1,253}|\\[[0-9A-Fa-f:.]+])(:(\\d{1,5}))?");

  public static ClusterConfig from(PulseConfig config) {
    // names the key when cluster is not a map
    ConfigReader c = new ConfigReader(config.raw(), "").section("cluster");
    boolean enabled = c.bool("enabled", false);
    String name = c.string("name", "apex-pulse").trim();
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(c.key("name"), "a cluster name is 1-64 of [A-Za-z0-9_.-], got '" + name + "'");
    }
    String file = c.string("hazelcastConfig", DEFAULT_HAZELCAST_CONFIG).trim();
    if (file.isEmpty()) {
      file = DEFAULT_HAZELCAST_CONFIG;
    }
    if (!file.endsWith(".yaml") && !file.endsWith(".yml")) {
      throw new ConfigException(c.key("hazelcastConfig"), "expected a Hazelcast YAML file (.yaml), got '" + file + "'");
    }
    List<String> members = c.strings("members").stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (int i = 0; i < members.size(); i++) {
      String m = members.get(i);
      var match = MEMBER.matcher(m);
      if (!match.matches() || (match.group(3) != null && Integer.parseInt(match.group(3)) > 65535)) {
        // Hazelcast itself throws NumberFormatException on "127.0.0.1:5701-5703": say it clearly
        throw new ConfigException(c.key("members") + "[" + i + "]",
            "expected host or host:port (list members one by one, no port ranges), got '" + m + "'");
      }
    }
    int port = c.integer("port", 5701, 0, 65535);
    int portCount = c.integer("portCount", 20, 1, 1000);
    if (port > 0 && port + portCount - 1 > 65535) {
      throw new ConfigException(c.key("portCount"), "port + portCount goes past 65535");
    }
    String ebHost = c.string("eventBusHost", "").trim();
    String ebPublic = c.string("eventBusPublicHost", "").trim();
    if (!ebHost.isEmpty() && !HOST.matcher(ebHost).matches()) {
      throw new ConfigException(c.key("eventBusHost"), "not a host name or address: '" + ebHost + "'");
    }
    if (!ebPublic.isEmpty() && !HOST.matcher(ebPublic).matches()) {
      throw new ConfigException(c.key("eventBusPublicHost"), "not a host name or address: '" + ebPublic + "'");
    }
    int ebPort = c.integer("eventBusPort", 0, 0, 65535);
    int minSize = c.integer("minSize", 1, 1, 1000);
    if (enabled && config.history().size() < 1) {
      throw new ConfigException("history.size", "must be at least 1 in cluster mode (the history ring assigns offsets)");
    }
    return new ClusterConfig(enabled, name, file, members, port, portCount, ebHost, ebPort, ebPublic, minSize);
  }
}
