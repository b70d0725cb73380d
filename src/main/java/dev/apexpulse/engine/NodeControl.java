package dev.apexpulse.engine;

/** What the engines may ask of their node. */
public interface NodeControl {

  /**
   * Stops the node because it can no longer serve correctly (frozen past failure detection, cut off
   * from the majority): logged, then the same drain as a SIGTERM; {@code Main}'s supervisor then starts
   * a fresh node in the process, which joins the cluster afresh.
   */
  void fail(String reason);
}
