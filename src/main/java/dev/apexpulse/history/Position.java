package dev.apexpulse.history;

/** Where a channel stands: the offset of its latest message (0 before any) in a history epoch. */
public record Position(long offset, String epoch) {}
