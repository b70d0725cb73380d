package dev.apexpulse.api;

import dev.apexpulse.background.Background;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.function.BooleanSupplier;

/**
 * {@code /health/live}, {@code /health/ready} and {@code /metrics}. Ready means "can serve sockets": a
 * database outage shows as {@code "db":"DOWN"} but keeps the node in the load balancer unless
 * {@code db.readiness} asks for the opposite (sockets, HTTP publishing and history need no database).
 */
public final class Health {
  private final String nodeId;
  private final PulseMetrics metrics;
  private final Background background;
  private final BooleanSupplier ready;
  private final BooleanSupplier draining;

  public Health(String nodeId, PulseMetrics metrics, Background background, BooleanSupplier ready, BooleanSupplier draining) {
    this.nodeId = nodeId;
    this.metrics = metrics;
    this.background = background;
    this.ready = ready;
    this.draining = draining;
  }

  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> ApiError.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics.registry()));
  }

  private void ready(RoutingContext ctx) {
    JsonObject body = new JsonObject().put("node", nodeId);
    if (!ready.getAsBoolean()) {
      ApiError.json(ctx, 503, body.put("status", draining.getAsBoolean() ? "DRAINING" : "STARTING"));
      return;
    }
    background.ready(body).onComplete(ok -> {
      boolean up = ok.succeeded() && ok.result();
      ApiError.json(ctx, up ? 200 : 503, body.put("status", up ? "UP" : "DOWN"));
    });
  }
}
