package dev.apexpulse.admin;

import io.vertx.core.Future;

/** What the console reads of its node, and the one thing it may do to it. */
public interface NodeHandle {

  boolean ready();

  boolean draining();

  /** The HTTP port the node listens on. */
  int port();

  long startedAtMillis();

  boolean clustered();

  /** Drains the node as SIGTERM does, asked by an operator. */
  Future<Void> drain(String by);
}
