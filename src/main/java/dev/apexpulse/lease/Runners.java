package dev.apexpulse.lease;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

/**
 * Who runs what, cluster-wide: the node holding a {@link Lease} writes its state here (runner node,
 * last run, next run, …) so that any node can answer GET /api/v1/jobs, and a node that takes over
 * continues the counters. An AsyncMap from Vert.x shared data (a Hazelcast map when clustered),
 * values are JSON text.
 */
public final class Runners {
  public static final String MAP = "pulse.runners";

  private final Future<AsyncMap<String, String>> map;

  public Runners(Vertx vertx) {
    this.map = vertx.sharedData().getAsyncMap(MAP);
  }

  public Future<JsonObject> get(String key) {
    return map.compose(m -> m.get(key)).map(s -> s == null ? null : new JsonObject(s));
  }

  public Future<Void> put(String key, JsonObject state) {
    String text = state.encode();
    return map.compose(m -> m.put(key, text));
  }
}
