package dev.apexpulse.gateway;

import java.util.concurrent.atomic.AtomicLong;

/** The node's connection ids ({@code c-<node>-<n>}), one sequence for every transport. */
final class ConnectionIds {
  private final String prefix;
  private final AtomicLong last = new AtomicLong();

  ConnectionIds(String nodeId) {
    this.prefix = "c-" + nodeId + "-";
  }

  String next() {
    return prefix + last.incrementAndGet();
  }
}
