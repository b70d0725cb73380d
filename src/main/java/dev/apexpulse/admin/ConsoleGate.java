package dev.apexpulse.admin;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.transport.Endpoint;
import dev.apexpulse.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Consumer;

/**
 * The operator console's way in, from the node's first socket on: its credentials (null when no admin
 * key is configured: console off) and the running {@link Console}, once it has started.
 */
public final class ConsoleGate {
  static final String DISABLED = "the operator console is disabled: set admin.key (PULSE_ADMIN_KEY) to the same key on every node";

  private final AdminAccess access;
  private final Vertx vertx;
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private volatile Console console;

  public ConsoleGate(AdminAccess access, Vertx vertx, PulseConfig config, PulseMetrics metrics) {
    this.access = access;
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
  }

  public boolean enabled() {
    return access != null;
  }

  AdminAccess access() {
    return access;
  }

  /** The console, or null while it has not started (or the node stopped it). */
  Console console() {
    return console;
  }

  void opened(Console console) {
    this.console = console;
  }

  void closed() {
    this.console = null;
  }

  /**
   * Opens a console socket on a transport ({@code attach} connects the two before anything is read):
   * with a valid ticket it may follow the console channel; with anything else it is told why and closed
   * with 1008, as an app socket with a bad token is.
   */
  public void open(String id, String ticket, Transport transport, Consumer<Endpoint> attach, Context context) {
    ConsoleSession session = new ConsoleSession(id, transport, this, vertx, context, config, metrics);
    attach.accept(session);
    Future<AdminAccess.Grant> grant = access == null ? Future.failedFuture(DISABLED)
        : ticket == null ? Future.failedFuture("console ticket missing")
        : access.verifyTicket(ticket).recover(e -> Future.failedFuture("console ticket invalid or expired"));
    grant.onComplete(ar -> session.start(ar.result(), ar.failed() ? ar.cause().getMessage() : null));
  }

  /** The console channel of the running console; {@code unavailable} while it is not running. */
  ConsoleFeed feed() {
    Console c = console;
    if (c == null) {
      throw new PulseException(ErrorCode.UNAVAILABLE, "the operator console is not running on this node");
    }
    return c.feed();
  }
}
