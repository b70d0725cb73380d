package dev.apexpulse.engine;

/** What the engines may ask of their node. */
public interface NodeControl {

  /**
   * Stops the node because it can no longer serve correctly (the cluster dropped it): logged, then the
   * same drain as a SIGTERM; the process then exits so that a supervisor starts a fresh one.
   */
  void fail(String reason);
}
