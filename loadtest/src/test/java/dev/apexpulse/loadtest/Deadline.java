package dev.apexpulse.loadtest;

import java.time.Duration;

/** A point in time relative to the start of the simulation, for loops that must end together. */
final class Deadline {
  private final Duration after;
  private volatile long endNanos;

  Deadline(Duration after) {
    this.after = after;
    start();
  }

  void start() {
    endNanos = System.nanoTime() + after.toNanos();
  }

  Duration remaining() {
    return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
  }

  boolean passed() {
    return System.nanoTime() >= endNanos;
  }
}
