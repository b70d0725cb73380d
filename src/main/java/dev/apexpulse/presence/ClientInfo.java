package dev.apexpulse.presence;

/** A presence entry: one connection's user in a channel. Anonymous connections have no user. */
public record ClientInfo(String connection, String user, String name) {}
