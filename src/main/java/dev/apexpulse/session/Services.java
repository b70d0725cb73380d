package dev.apexpulse.session;

import dev.apexpulse.auth.TokenVerifier;
import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.channel.Publisher;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.history.History;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.presence.Presence;
import dev.apexpulse.schedule.JobTrigger;
import io.vertx.core.Vertx;

/** What every session of a node uses: one instance per node, shared by all its sessions. */
public record Services(
    Vertx vertx,
    PulseConfig config,
    PulseMetrics metrics,
    TokenVerifier tokens,
    Publisher publisher,
    LocalHub hub,
    History history,
    Presence presence,
    Bridge bridge,
    JobTrigger jobs) {}
