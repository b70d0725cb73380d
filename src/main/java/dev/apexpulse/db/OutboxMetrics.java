package dev.apexpulse.db;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbox poller's meters, in the node's registry: {@code pulse_outbox_*}.
 * The poller's gauges are only meaningful on the node that is the poller ({@code pulse_outbox_runner 1}).
 */
public final class OutboxMetrics {
  private final MeterRegistry registry;
  private final AtomicLong runner = new AtomicLong();
  private final AtomicLong polling = new AtomicLong(1);
  private final AtomicLong backlog = new AtomicLong(-1);
  private final AtomicLong listening = new AtomicLong();
  private final Counter published;
  private final Counter pollFailures;
  private final Map<String, Counter> dead = new ConcurrentHashMap<>();

  public OutboxMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("pulse_outbox_runner", runner, AtomicLong::get)
        .description("1 on the node that polls the outbox (one per cluster)").register(registry);
    Gauge.builder("pulse_outbox_polling", polling, AtomicLong::get)
        .description("0 while the outbox poller backs off after failures (database unreachable, table missing), else 1")
        .register(registry);
    Gauge.builder("pulse_outbox_backlog", backlog, AtomicLong::get)
        .description("Rows waiting in pulse_outbox, counted every few seconds by the poller (-1: not known here)")
        .register(registry);
    Gauge.builder("pulse_outbox_listening", listening, AtomicLong::get)
        .description("1 while the outbox poller LISTENs for commit-time notifications (PostgreSQL), else 0").register(registry);
    published = Counter.builder("pulse_outbox_published").description("Outbox rows published").register(registry);
    pollFailures = Counter.builder("pulse_outbox_poll_failures")
        .description("Outbox polls that failed and were retried after a backoff").register(registry);
  }

  void runner(boolean isRunner) {
    runner.set(isRunner ? 1 : 0);
    if (!isRunner) {
      backlog.set(-1);
    }
  }

  void polling(boolean ok) {
    polling.set(ok ? 1 : 0);
  }

  void listening(boolean on) {
    listening.set(on ? 1 : 0);
  }

  void backlog(long rows) {
    backlog.set(rows);
  }

  void published() {
    published.increment();
  }

  void pollFailed() {
    pollFailures.increment();
  }

  /** A row moved to pulse_outbox_dead; reason is bad_json, not_found, bad_request or too_large. */
  void dead(String reason) {
    dead.computeIfAbsent(reason, r -> Counter.builder("pulse_outbox_dead").tag("reason", r)
        .description("Outbox rows moved to pulse_outbox_dead, by reason").register(registry)).increment();
  }
}
