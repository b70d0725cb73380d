package dev.apexpulse.admin;

import dev.apexpulse.Node;
import dev.apexpulse.config.AppConfig;
import dev.apexpulse.config.JobSettings;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.db.Database;
import dev.apexpulse.db.OutboxVerticle;
import dev.apexpulse.lease.Runners;
import dev.apexpulse.schedule.ScheduleVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The operator console's services on one node (docs/CONSOLE.md): every second, on the wall-clock
 * second, the node samples its {@link NodeStatus} and publishes it to every node on
 * {@value #STATUS_ADDRESS}; each node keeps what it hears in a {@link ClusterView}, and 300 ms later
 * pushes the merged picture to the console sockets it holds ({@link ConsoleFeed}). Requests that need
 * another node (its sockets, its chart series, disconnecting, draining) go to that node's
 * {@link NodeService}. Standalone, all of this stays inside the one node.
 */
public final class Console {
  private static final Logger LOG = LoggerFactory.getLogger(Console.class);
  public static final String STATUS_ADDRESS = "pulse.admin.status";
  /** The feed pushes this long after the second, when every node's status of that second is in. */
  static final long PUSH_DELAY_MILLIS = 300;
  static final long REQUEST_TIMEOUT_MILLIS = 3000;
  static final long OUTBOX_REFRESH_MILLIS = 2000;
  static final int DEAD_ROWS = 20;
  static final long FRESH_WAIT_MILLIS = 2000;

  static final String COUNT_DEAD = "SELECT COUNT(*) FROM pulse_outbox_dead";
  static final String COUNT_BACKLOG = "SELECT COUNT(*) FROM pulse_outbox";
  static final String LIST_DEAD = "SELECT id, app_id, channel, reason, created_at, failed_at, SUBSTR(payload, 1, 200),"
      + " LENGTH(payload) FROM pulse_outbox_dead ORDER BY id DESC FETCH FIRST ? ROWS ONLY";
  /** Requeue, step 1 (same transaction as {@link #DELETE_DEAD}): the row gets a new outbox id, so it goes last. */
  static final String REQUEUE = "INSERT INTO pulse_outbox (app_id, channel, payload)"
      + " SELECT app_id, channel, payload FROM pulse_outbox_dead WHERE id = ?";
  static final String DELETE_DEAD = "DELETE FROM pulse_outbox_dead WHERE id = ?";

  private final Node node;
  private final Vertx vertx;
  private final NodeStatus status;
  private final ClusterView view;
  private final ConsoleFeed feed;
  private final NodeService service;
  private final Runners runners;
  private MessageConsumer<JsonObject> statusConsumer;
  private long timer = -1;
  private volatile boolean stopped;
  private long lastSecond;
  private volatile JsonArray jobsCache = new JsonArray();
  private volatile JsonObject outboxCache = new JsonObject().put("enabled", false);
  private long outboxAt;
  private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();

  private Console(Node node) {
    this.node = node;
    this.vertx = node.vertx();
    this.status = new NodeStatus(node);
    this.view = new ClusterView(node.config());
    this.feed = new ConsoleFeed(this, node.config().nodeId());
    this.service = new NodeService(node, status);
    this.runners = new Runners(vertx);
    this.lastSecond = System.currentTimeMillis() / 1000 - 1;
  }

  public static Future<Console> start(Node node) {
    Console c = new Console(node);
    c.statusConsumer = c.vertx.eventBus().consumer(STATUS_ADDRESS, m -> c.view.accept(m.body()));
    return Future.all(c.statusConsumer.completion(), c.service.register()).map(v -> {
      c.status.startProbes();
      c.schedule();
      return c;
    });
  }

  public ConsoleFeed feed() {
    return feed;
  }

  // ---- the clock ----

  private void schedule() {
    if (stopped) {
      return;
    }
    long now = System.currentTimeMillis();
    timer = vertx.setTimer(Math.max(1, 1000 - now % 1000), t -> second());
  }

  private void second() {
    long secondEnd = System.currentTimeMillis() / 1000 * 1000;
    status.sample(secondEnd).onSuccess(s -> {
      lastSecond = s.getLong("second");
      vertx.eventBus().publish(STATUS_ADDRESS, s);
      if (!feed.idle()) {
        refreshCaches();
        long second = lastSecond;
        vertx.setTimer(PUSH_DELAY_MILLIS, t -> feed.push(tick(second)));
      }
    }).onFailure(e -> LOG.debug("console status sample failed: {}", e.toString()));
    schedule();
  }

  public Future<Void> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    status.stop();
    vertx.eventBus().publish(STATUS_ADDRESS, new JsonObject().put("node", node.config().nodeId()).put("leaving", true));
    return Future.join(statusConsumer.unregister(), service.unregister()).<Void>mapEmpty().otherwiseEmpty();
  }

  // ---- what the page shows ----

  /** One second of the console: everything but the chart's history. */
  JsonObject tick(long second) {
    return overview().put("kind", "tick").put("point", view.point(second));
  }

  /** The whole picture for a console that just subscribed: a tick plus the chart's last 10 minutes. */
  Future<JsonObject> full() {
    long second = lastSecond;
    return refreshNow().compose(v -> series()).map(series -> overview().put("kind", "full")
        .put("point", view.point(second)).put("series", series));
  }

  /** Nodes, totals, apps and channels, errors (all from the cluster view), jobs and outbox (cached). */
  public JsonObject overview() {
    return new JsonObject()
        .put("node", node.config().nodeId())
        .put("at", System.currentTimeMillis())
        .put("totals", view.totals())
        .put("nodes", view.nodes())
        .put("apps", view.apps())
        .put("jobs", jobsCache)
        .put("outbox", outboxCache)
        .put("errors", view.errors());
  }

  public JsonArray nodes() {
    return view.nodes();
  }

  public JsonObject totals() {
    return view.totals();
  }

  public JsonArray apps() {
    return view.apps();
  }

  public JsonObject errors() {
    return view.errors();
  }

  private void refreshCaches() {
    if (!refreshing.compareAndSet(false, true)) {
      return;
    }
    boolean outboxDue = System.currentTimeMillis() - outboxAt >= OUTBOX_REFRESH_MILLIS;
    Future<?> j = jobs().onSuccess(a -> jobsCache = a);
    Future<?> o = outboxDue ? outbox(DEAD_ROWS).onSuccess(x -> {
      outboxCache = x;
      outboxAt = System.currentTimeMillis();
    }) : Future.succeededFuture();
    Future.join(j, o).onComplete(ar -> refreshing.set(false));
  }

  /** Jobs and outbox read now; a slow database holds this up for {@value #FRESH_WAIT_MILLIS} ms at most (the cache is shown). */
  private Future<Void> refreshNow() {
    return Future.join(jobs().onSuccess(a -> jobsCache = a), outbox(DEAD_ROWS).onSuccess(x -> {
      outboxCache = x;
      outboxAt = System.currentTimeMillis();
    })).<Void>mapEmpty().timeout(FRESH_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS).otherwiseEmpty();
  }

  /** The overview with jobs and outbox read now (for the API: the caches are kept fresh only while consoles watch). */
  public Future<JsonObject> freshOverview() {
    return refreshNow().map(v -> overview());
  }

  // ---- cluster-wide requests ----

  /** The live nodes, this one always among them (it may not have heard itself yet). */
  List<String> nodeIds() {
    Set<String> ids = new LinkedHashSet<>(view.nodeIds());
    ids.add(node.config().nodeId());
    return new ArrayList<>(ids);
  }

  private Future<JsonObject> ask(String nodeId, JsonObject request) {
    return vertx.eventBus().<JsonObject>request(NodeService.address(nodeId), request,
            new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MILLIS))
        .map(m -> m.body());
  }

  /** Asks every live node; a node that does not answer is listed with its error, never fails the whole. */
  private Future<List<JsonObject>> askAll(JsonObject request) {
    List<String> ids = nodeIds();
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (String id : ids) {
      answers.add(ask(id, request).recover(e -> Future.succeededFuture(
          new JsonObject().put("node", id).put("error", e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS
              ? "node gone" : String.valueOf(e.getMessage())))));
    }
    return Future.all(answers).map(all -> {
      List<JsonObject> out = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        out.add(all.resultAt(i));
      }
      return out;
    });
  }

  /** Published and delivered per second over the last 10 minutes, summed over the live nodes. */
  public Future<JsonObject> series() {
    long last = lastSecond;
    return askAll(new JsonObject().put("action", "series").put("last", last)).map(answers -> {
      long[] pub = new long[NodeStatus.SERIES_SECONDS];
      long[] del = new long[NodeStatus.SERIES_SECONDS];
      for (JsonObject a : answers) {
        JsonArray p = a.getJsonArray("published");
        JsonArray d = a.getJsonArray("delivered");
        for (int i = 0; p != null && d != null && i < Math.min(pub.length, p.size()); i++) {
          pub[i] += p.getLong(i);
          del[i] += d.getLong(i);
        }
      }
      JsonArray p = new JsonArray();
      JsonArray d = new JsonArray();
      for (int i = 0; i < pub.length; i++) {
        p.add(pub[i]);
        d.add(del[i]);
      }
      return new JsonObject().put("start", last - NodeStatus.SERIES_SECONDS + 1).put("seconds", NodeStatus.SERIES_SECONDS)
          .put("published", p).put("delivered", d);
    });
  }

  /** Sockets of every node (or one), filtered by app and user, at most {@code limit} per node. */
  public Future<JsonObject> connections(String onNode, String app, String user, int limit) {
    JsonObject req = new JsonObject().put("action", "connections").put("limit", limit);
    if (app != null) {
      req.put("app", app);
    }
    if (user != null) {
      req.put("user", user);
    }
    Future<List<JsonObject>> answers = onNode == null ? askAll(req)
        : ask(onNode, req).recover(e -> Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no live node " + onNode))).map(List::of);
    return answers.map(list -> {
      JsonArray connections = new JsonArray();
      JsonArray nodes = new JsonArray();
      long total = 0;
      for (JsonObject a : list) {
        JsonObject n = new JsonObject().put("node", a.getString("node"));
        if (a.containsKey("error")) {
          n.put("error", a.getString("error"));
        } else {
          n.put("total", a.getLong("total"));
          total += a.getLong("total");
          a.getJsonArray("connections").forEach(connections::add);
        }
        nodes.add(n);
      }
      return new JsonObject().put("total", total).put("nodes", nodes).put("connections", connections);
    });
  }

  /** Closes one socket (on the node that holds it) with 1008 "disconnected by an operator". */
  public Future<JsonObject> disconnectConnection(String connection, String by) {
    LOG.warn("console: {} disconnects connection {}", by, connection);
    JsonObject req = new JsonObject().put("action", "disconnect").put("connection", connection).put("by", by);
    String owner = null;
    for (String id : nodeIds()) {
      if (connection.startsWith("c-" + id + "-") && (owner == null || id.length() > owner.length())) {
        owner = id;
      }
    }
    Future<List<JsonObject>> answers = owner != null ? ask(owner, req).map(List::of) : askAll(req);
    return answers.map(list -> summed(list, "connection", connection));
  }

  /** Closes every socket of a user of an app, on every node. */
  public Future<JsonObject> disconnectUser(String app, String user, String by) {
    LOG.warn("console: {} disconnects user {} of app {} on every node", by, user, app);
    return askAll(new JsonObject().put("action", "disconnect").put("app", app).put("user", user).put("by", by))
        .map(list -> summed(list, "user", user).put("app", app));
  }

  private static JsonObject summed(List<JsonObject> answers, String what, String value) {
    long closed = 0;
    JsonArray nodes = new JsonArray();
    for (JsonObject a : answers) {
      closed += a.getLong("closed", 0L);
      nodes.add(a);
    }
    return new JsonObject().put(what, value).put("closed", closed).put("nodes", nodes);
  }

  /** Drains a node as SIGTERM would (its sockets get 1012); the node's process then exits. */
  public Future<JsonObject> drain(String nodeId, String by) {
    if (!nodeIds().contains(nodeId)) {
      return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no live node " + nodeId));
    }
    LOG.warn("console: {} asks node {} to drain", by, nodeId);
    return ask(nodeId, new JsonObject().put("action", "drain").put("by", by));
  }

  // ---- jobs ----

  /** Every job of every app, with the state its runner recorded (runner node, last run, duration, error). */
  public Future<JsonArray> jobs() {
    ScheduleVerticle schedule = node.background().schedule();
    if (schedule == null) {
      return Future.succeededFuture(new JsonArray());
    }
    List<Future<JsonArray>> perApp = new ArrayList<>();
    for (AppConfig app : node.config().apps().values()) {
      perApp.add(schedule.describe(app.id()));
    }
    return Future.all(perApp).map(all -> {
      JsonArray out = new JsonArray();
      for (int i = 0; i < all.size(); i++) {
        all.<JsonArray>resultAt(i).forEach(out::add);
      }
      return out;
    });
  }

  /** Runs a job now on its runner node (as a {@code trigger} frame does, any job); answers its state after the run. */
  public Future<JsonObject> runJob(String name, String by) {
    JobSettings job = node.config().jobs().stream().filter(j -> j.name().equals(name)).findFirst().orElse(null);
    if (job == null) {
      return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no job named " + name));
    }
    LOG.warn("console: {} runs job {} now", by, name);
    return ScheduleVerticle.trigger(vertx, job)
        .recover(e -> Future.failedFuture(e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS
            ? new PulseException(ErrorCode.UNAVAILABLE, "job " + name + " has no runner right now, try again")
            : new PulseException(ErrorCode.UNAVAILABLE, String.valueOf(e.getMessage()))))
        .compose(v -> jobs())
        .map(all -> {
          for (int i = 0; i < all.size(); i++) {
            if (name.equals(all.getJsonObject(i).getString("name"))) {
              return all.getJsonObject(i);
            }
          }
          return new JsonObject().put("name", name);
        });
  }

  // ---- outbox ----

  /** Backlog, dead rows (count and the newest {@code limit}), and which node polls. */
  public Future<JsonObject> outbox(int limit) {
    Database db = node.background().database();
    if (db == null) {
      return Future.succeededFuture(new JsonObject().put("enabled", false));
    }
    Future<Long> backlog = db.withConnection(c -> c.query(COUNT_BACKLOG).execute()).map(Console::count);
    Future<Long> dead = db.withConnection(c -> c.query(COUNT_DEAD).execute()).map(Console::count);
    Future<JsonArray> rows = db.withConnection(c -> c.preparedQuery(LIST_DEAD).execute(Tuple.of(limit))).map(Console::deadRows);
    Future<JsonObject> runner = runners.get(OutboxVerticle.RUNNER_KEY).otherwise((JsonObject) null);
    return Future.join(backlog, dead, rows, runner).transform(ar -> {
      JsonObject out = new JsonObject().put("enabled", true).put("polling", db.settings().outbox().enabled())
          .put("databaseUp", db.up());
      if (backlog.succeeded()) {
        out.put("backlog", backlog.result());
      }
      if (dead.succeeded()) {
        out.put("dead", dead.result());
      }
      out.put("deadRows", rows.succeeded() ? rows.result() : new JsonArray());
      JsonObject r = runner.result();
      out.put("runner", r == null ? null : r.getString("runner"));
      if (backlog.failed() || dead.failed() || rows.failed()) {
        Throwable e = backlog.failed() ? backlog.cause() : dead.failed() ? dead.cause() : rows.cause();
        out.put("error", Database.isConnectionError(e) ? "database unreachable" : "query failed: " + firstLine(e.getMessage()));
      }
      return Future.succeededFuture(out);
    });
  }

  /** Moves a dead row back into pulse_outbox (new id: it is published after the current backlog), in one transaction. */
  public Future<JsonObject> requeue(long id, String by) {
    Database db = node.background().database();
    if (db == null) {
      return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no database configured"));
    }
    return db.withTransaction(c -> c.preparedQuery(REQUEUE).execute(Tuple.of(id)).compose(inserted -> {
      if (inserted.rowCount() != 1) {
        return Future.failedFuture(new PulseException(ErrorCode.NOT_FOUND, "no dead outbox row " + id));
      }
      return c.preparedQuery(DELETE_DEAD).execute(Tuple.of(id));
    })).recover(e -> Future.failedFuture(e instanceof PulseException ? e
        : new PulseException(ErrorCode.UNAVAILABLE, "requeue failed: " + firstLine(e.getMessage()))))
        .map(v -> {
          LOG.warn("console: {} requeued dead outbox row {}", by, id);
          outboxAt = 0;
          return new JsonObject().put("id", id).put("requeued", true);
        });
  }

  private static long count(RowSet<Row> rows) {
    return ((Number) rows.iterator().next().getValue(0)).longValue();
  }

  private static JsonArray deadRows(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      out.add(new JsonObject()
          .put("id", ((Number) r.getValue(0)).longValue())
          .put("app", text(r.getValue(1)))
          .put("channel", text(r.getValue(2)))
          .put("reason", text(r.getValue(3)))
          .put("createdAt", text(r.getValue(4)))
          .put("failedAt", text(r.getValue(5)))
          .put("payloadPreview", text(r.getValue(6)))
          .put("payloadChars", r.getValue(7) instanceof Number n ? n.longValue() : null));
    }
    return out;
  }

  private static String text(Object v) {
    return v == null ? null : v.toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String line = s.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}
