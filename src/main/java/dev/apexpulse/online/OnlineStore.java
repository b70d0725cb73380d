package dev.apexpulse.online;

import io.vertx.core.Future;

import java.util.List;

/** Where a node's presence rows go ({@code pulse_online}) and how nodes see each other alive. */
public interface OnlineStore {

  /** Deletes the node's rows for the keys of {@code changes} and inserts those with a {@code since}; one transaction. */
  Future<Void> apply(String node, List<OnlineRow> changes);

  /** Replaces all of the node's rows by {@code rows}; one transaction. */
  Future<Void> replace(String node, List<OnlineRow> rows);

  /**
   * Records that the node is alive now, then removes the rows (and heartbeats) of nodes silent for
   * more than {@code timeoutSeconds}; resolves with the number of rows removed.
   */
  Future<Integer> heartbeat(String node, int timeoutSeconds);

  /** Removes the node's rows and heartbeat (a node that stops). */
  Future<Void> remove(String node);
}
