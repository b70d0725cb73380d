package dev.apexpulse.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private network of Linux network namespaces for partition tests: one namespace per host, each
 * with a veth pair whose other end is on a bridge in this (root) namespace, addresses 10.99.S.2, .3, …
 * (S a free subnet number), the bridge at 10.99.S.1 so this JVM reaches every host. Names carry a random
 * id so parallel runs do not collide. Needs root and iproute2; {@link #create} says why it cannot run.
 *
 * <p>A cut is silent, as a real partition: inside a namespace the peers' addresses are routed to a
 * veth whose other end is down and that sends no ARP, so packets vanish without an error; connections
 * time out. Healing removes those routes.
 */
final class NetworkLab implements AutoCloseable {
  private final String id = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36), 36);
  private final int subnet;
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final List<String> cuts = new ArrayList<>();
  private boolean bridge;

  private NetworkLab(int subnet) {
    this.subnet = subnet;
  }

  /** The reason namespaces cannot be used here, or null when they can. */
  static String unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network namespaces need root (running as " + System.getProperty("user.name") + ")";
    }
    String probe = "pulse-probe-" + Long.toString(System.nanoTime(), 36);
    Result add = exec(List.of("ip", "netns", "add", probe));
    if (add.code != 0) {
      return "cannot create a network namespace: " + add.output.trim();
    }
    exec(List.of("ip", "netns", "del", probe));
    return null;
  }

  /** The namespaces, one per host name, on one bridge. */
  static NetworkLab create(List<String> hosts) {
    NetworkLab lab = new NetworkLab(freeSubnet());
    Runtime.getRuntime().addShutdownHook(new Thread(lab::close, "network-lab-cleanup"));
    try {
      String br = "pb" + lab.id;
      lab.run("ip", "link", "add", br, "type", "bridge");
      lab.bridge = true;
      lab.run("ip", "addr", "add", lab.gateway() + "/24", "dev", br);
      lab.run("ip", "link", "set", br, "up");
      int i = 2;
      for (String host : hosts) {
        String ns = lab.namespace(host);
        String outside = "pv" + lab.id + i;
        String inside = "pe" + lab.id + i;
        String address = "10.99." + lab.subnet + "." + i++;
        lab.run("ip", "netns", "add", ns);
        lab.addresses.put(host, address);
        lab.run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
        lab.run("ip", "link", "set", inside, "netns", ns);
        lab.run("ip", "link", "set", outside, "master", br, "up");
        lab.inside(host, "ip", "link", "set", "lo", "up");
        lab.inside(host, "ip", "link", "set", inside, "name", "eth0");
        lab.inside(host, "ip", "addr", "add", address + "/24", "dev", "eth0");
        lab.inside(host, "ip", "link", "set", "eth0", "up");
        // the hole a cut routes into: its peer stays down, it sends no ARP, packets are dropped silently
        lab.inside(host, "ip", "link", "add", "hole", "type", "veth", "peer", "name", "hole2");
        lab.inside(host, "ip", "link", "set", "hole", "arp", "off", "up");
      }
      return lab;
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  String address(String host) {
    return addresses.get(host);
  }

  /** This namespace's address on the bridge: how the hosts reach this JVM. */
  String gateway() {
    return "10.99." + subnet + ".1";
  }

  /** Every host address with a wildcard, for Hazelcast's interface list. */
  String interfacePattern() {
    return "10.99." + subnet + ".*";
  }

  /** The command prefix that runs a program inside the host's namespace. */
  List<String> prefix(String host) {
    return List.of("ip", "netns", "exec", namespace(host));
  }

  /** Cuts {@code host} off from the other hosts (this JVM still reaches every host). */
  synchronized void isolate(String host) {
    for (String other : addresses.keySet()) {
      if (!other.equals(host)) {
        route(host, other, "add");
        route(other, host, "add");
        cuts.add(host + "|" + other);
      }
    }
  }

  /** Removes every cut. */
  synchronized void heal() {
    for (String cut : cuts) {
      String[] p = cut.split("\\|");
      route(p[0], p[1], "del");
      route(p[1], p[0], "del");
    }
    cuts.clear();
  }

  private void route(String in, String to, String op) {
    inside(in, "ip", "route", op, addresses.get(to) + "/32", "dev", "hole");
  }

  /** Deletes the namespaces and the bridge (their veths go with them); also when creation failed half-way. */
  @Override
  public synchronized void close() {
    for (String host : List.copyOf(addresses.keySet())) {
      exec(List.of("ip", "netns", "del", namespace(host)));
      addresses.remove(host);
    }
    if (bridge) {
      exec(List.of("ip", "link", "del", "pb" + id));
      bridge = false;
    }
    // root-side veths whose namespace was already gone
    Result links = exec(List.of("ip", "-o", "link", "show"));
    for (String line : links.output.split("\n")) {
      String[] f = line.split(":\\s+");
      if (f.length > 1 && f[1].startsWith("pv" + id)) {
        exec(List.of("ip", "link", "del", f[1].split("@")[0]));
      }
    }
  }

  private String namespace(String host) {
    return "pulse-" + id + "-" + host;
  }

  private void inside(String host, String... cmd) {
    List<String> all = new ArrayList<>(prefix(host));
    all.addAll(List.of(cmd));
    check(all);
  }

  private void run(String... cmd) {
    check(List.of(cmd));
  }

  private static void check(List<String> cmd) {
    Result r = exec(cmd);
    if (r.code != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.code + "): " + r.output.trim());
    }
  }

  /** A subnet 10.99.S.0/24 that no interface or route of this machine uses. */
  private static int freeSubnet() {
    String used = exec(List.of("ip", "-4", "addr")).output + exec(List.of("ip", "-4", "route")).output;
    for (int attempt = 0; attempt < 100; attempt++) {
      int s = ThreadLocalRandom.current().nextInt(1, 255);
      if (!used.contains("10.99." + s + ".")) {
        return s;
      }
    }
    throw new IllegalStateException("no free 10.99.x.0/24 subnet");
  }

  private record Result(int code, String output) {}

  private static Result exec(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, out + " (timed out)");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }
}
