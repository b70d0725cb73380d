package dev.apexpulse.admin;

import dev.apexpulse.transport.ConnectionInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.List;
import java.util.function.Predicate;

/** The node's client connections, on whichever event loops they live: what the console lists and closes. */
public interface Sockets {

  /** Every connection, each listed on its own event loop. */
  Future<List<ConnectionInfo>> list();

  /** Closes the connections that match with the code; completes with how many. */
  Future<Integer> disconnect(Predicate<ConnectionInfo> which, short code, String reason);

  /** The event loops that hold connections (the console measures their lag). */
  List<Context> eventLoops();
}
