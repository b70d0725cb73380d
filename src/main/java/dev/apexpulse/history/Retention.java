package dev.apexpulse.history;

/** How much of one channel's past its history keeps: the last {@code size} messages, each for at most {@code ttlSeconds}. */
public record Retention(int size, int ttlSeconds) {

  public long ttlMillis() {
    return ttlSeconds * 1000L;
  }
}
