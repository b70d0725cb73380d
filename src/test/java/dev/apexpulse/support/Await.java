package dev.apexpulse.support;

import java.util.function.BooleanSupplier;

/** Polls a condition until it holds or the time is up. */
public final class Await {
  private Await() {}

  public static void until(String what, long millis, BooleanSupplier condition) {
    long end = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("not within " + millis + " ms: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
