package dev.apexpulse.schedule;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Scheduled jobs' meters, by job: {@code pulse_job_runs{job,outcome}}, {@code pulse_job_duration}, {@code pulse_job_runner}. */
final class JobMetrics {
  private final MeterRegistry registry;
  private final Map<String, Counter> runs = new ConcurrentHashMap<>();
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> runner = new ConcurrentHashMap<>();

  JobMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void register(String job) {
    AtomicInteger held = runner.computeIfAbsent(job, j -> new AtomicInteger());
    Gauge.builder("pulse_job_runner", held, AtomicInteger::get).tag("job", job)
        .description("1 on the node that runs the job (one per cluster)").register(registry);
  }

  void runner(String job, boolean held) {
    runner.get(job).set(held ? 1 : 0);
  }

  /** outcome: published, unchanged (onlyIfChanged skipped the publish) or failed. */
  void ran(String job, String outcome, long nanos) {
    runs.computeIfAbsent(job + "\u0000" + outcome, k -> Counter.builder("pulse_job_runs").tag("job", job).tag("outcome", outcome)
        .description("Scheduled job runs by job and outcome (published, unchanged, failed)").register(registry)).increment();
    durations.computeIfAbsent(job, j -> Timer.builder("pulse_job_duration").tag("job", j)
        .description("Time a scheduled job run takes (query and publish)").register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }
}
