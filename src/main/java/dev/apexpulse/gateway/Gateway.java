package dev.apexpulse.gateway;

import dev.apexpulse.admin.ConsoleGate;
import dev.apexpulse.admin.Sockets;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.session.Services;
import dev.apexpulse.transport.ConnectionInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The node's client-facing side: one {@link GatewayVerticle} per event loop, all on the same port, and
 * the node's connections across them.
 */
public final class Gateway implements Sockets {
  private static final long DRAIN_BATCH_PAUSE_MILLIS = 50;

  private final List<GatewayVerticle> verticles;
  private final PulseMetrics metrics;

  private Gateway(List<GatewayVerticle> verticles, PulseMetrics metrics) {
    this.verticles = verticles;
    this.metrics = metrics;
  }

  /**
   * Deploys {@code instances} verticles: HTTP on {@code routes}, WebSocket upgrades and event streams for
   * app sessions ({@code services}), WebSocket upgrades for console sessions ({@code console}); new
   * connections are refused while {@code draining}.
   */
  public static Future<Gateway> deploy(Vertx vertx, int instances, PulseConfig config, PulseMetrics metrics, LocalHub hub,
                                       Function<Vertx, Router> routes, Services services, ConsoleGate console,
                                       BooleanSupplier draining) {
    Admission admission = new Admission(config, metrics, services.tokens(), draining);
    ConnectionIds ids = new ConnectionIds(config.nodeId());
    Upgrades upgrades = new Upgrades(config, metrics, services, console, admission, ids);
    SseSessions sessions = new SseSessions(vertx, config);
    SseCors cors = new SseCors(admission);
    SseStreams streams = new SseStreams(config, metrics, services, admission, cors, ids, sessions);
    SsePosts posts = new SsePosts(config, metrics, cors, sessions);
    List<GatewayVerticle> deployed = new ArrayList<>();
    GatewayVerticle first = new GatewayVerticle(config, metrics, hub, routes, upgrades, streams, posts, config.http().port());
    return sessions.start().compose(v -> vertx.deployVerticle(first)).compose(id -> {
      deployed.add(first);
      Future<Void> rest = Future.succeededFuture();
      for (int i = 1; i < instances; i++) {
        // servers of one Vert.x instance on the same host and port share it, port 0 included
        GatewayVerticle g = new GatewayVerticle(config, metrics, hub, routes, upgrades, streams, posts, config.http().port());
        rest = rest.compose(v -> vertx.deployVerticle(g).map(d -> {
          deployed.add(g);
          return null;
        }));
      }
      return rest;
    }).map(v -> new Gateway(List.copyOf(deployed), metrics));
  }

  public int port() {
    return verticles.get(0).actualPort();
  }

  /**
   * Closes every connection with 1012 in batches spread over {@code spreadMillis}, so clients reconnect
   * elsewhere without a stampede; completes when all are closed.
   */
  public Future<Void> drain(long spreadMillis) {
    int total = Math.max(1, metrics.connections());
    int batches = (int) Math.max(1, spreadMillis / DRAIN_BATCH_PAUSE_MILLIS);
    int batch = Math.max(100, (total + batches - 1) / batches);
    List<Future<Void>> closing = new ArrayList<>();
    for (GatewayVerticle g : verticles) {
      closing.add(g.closeAll(batch, DRAIN_BATCH_PAUSE_MILLIS));
    }
    return Future.all(closing).mapEmpty();
  }

  @Override
  public Future<List<ConnectionInfo>> list() {
    List<Future<List<ConnectionInfo>>> lists = new ArrayList<>();
    for (GatewayVerticle g : verticles) {
      lists.add(g.connections());
    }
    return Future.all(lists).map(all -> {
      List<ConnectionInfo> out = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        out.addAll(all.<List<ConnectionInfo>>resultAt(i));
      }
      return out;
    });
  }

  @Override
  public Future<Integer> disconnect(Predicate<ConnectionInfo> which, short code, String reason) {
    List<Future<Integer>> closing = new ArrayList<>();
    for (GatewayVerticle g : verticles) {
      closing.add(g.disconnect(which, code, reason));
    }
    return Future.all(closing).map(all -> {
      int n = 0;
      for (int i = 0; i < all.size(); i++) {
        n += all.<Integer>resultAt(i);
      }
      return n;
    });
  }

  @Override
  public List<Context> eventLoops() {
    return verticles.stream().map(GatewayVerticle::context).toList();
  }
}
