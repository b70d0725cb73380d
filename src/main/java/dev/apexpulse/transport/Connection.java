package dev.apexpulse.transport;

/** One client connection as its event loop keeps it: a transport and the endpoint it feeds. */
public interface Connection {

  Endpoint endpoint();

  /** The transport's kind, for metrics: {@code websocket}, {@code sse}. */
  String kind();

  /**
   * Called every heartbeat interval: keeps the connection alive (a ping, a comment line) and closes it
   * when the client stayed silent for longer than {@code silentLimitNanos} where that can be told.
   */
  void heartbeat(long nowNanos, long silentLimitNanos);
}
