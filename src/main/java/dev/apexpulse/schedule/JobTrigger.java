package dev.apexpulse.schedule;

import dev.apexpulse.config.JobSettings;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a configured job now, on whichever node runs it ({@link ScheduleVerticle} listens on
 * {@value #ADDRESS_PREFIX}{@code <job>}): for {@code trigger} frames and the console.
 */
public final class JobTrigger {
  public static final String ADDRESS_PREFIX = "pulse.trigger.";

  private final Vertx vertx;
  private final Map<String, JobSettings> jobs = new HashMap<>();

  public JobTrigger(Vertx vertx, List<JobSettings> jobs) {
    this.vertx = vertx;
    jobs.forEach(j -> this.jobs.put(j.name(), j));
  }

  /** A configured job by name, or null. */
  public JobSettings job(String name) {
    return jobs.get(name);
  }

  /**
   * Completes when a run that started after the request has published (or failed); requests within the
   * job's {@code minIntervalMillis} share one run. Fails {@code unavailable} when no node runs the job.
   */
  public Future<Void> trigger(JobSettings job) {
    long timeout = job.timeoutSeconds() * 1000L + ScheduleVerticle.GUARD_MILLIS + job.minIntervalMillis() + 5_000;
    return vertx.eventBus().request(ADDRESS_PREFIX + job.name(), job.name(), new DeliveryOptions().setSendTimeout(timeout))
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new PulseException(ErrorCode.UNAVAILABLE,
            e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS
                ? "job " + job.name() + " has no runner right now, try again" : String.valueOf(e.getMessage()))));
  }
}
