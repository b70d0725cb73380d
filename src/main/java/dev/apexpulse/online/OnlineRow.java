package dev.apexpulse.online;

import java.time.Instant;

/**
 * One row of {@code pulse_online}: a user with at least one connection subscribed to the channel on
 * the node, since the first of them. {@code since} is null for a row to delete.
 */
public record OnlineRow(String app, String channel, String user, Instant since) {}
