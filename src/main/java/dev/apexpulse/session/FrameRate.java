package dev.apexpulse.session;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.TokenBucket;

/**
 * The per-connection frame rate ({@code limits.frameRate}/{@code frameBurst}): every client message,
 * text or binary, costs a token. Over the rate a message is refused; a sustained flood (more refusals
 * in a row than the burst) ends the connection.
 */
public final class FrameRate {
  public enum Verdict { ACCEPT, REFUSE, CLOSE }

  private final TokenBucket bucket;
  private final int burst;
  private int refusedInARow;

  public FrameRate(PulseConfig config) {
    this.bucket = new TokenBucket(config.limits().frameRate(), config.limits().frameBurst(), System.nanoTime());
    this.burst = config.limits().frameBurst();
  }

  public Verdict take() {
    if (bucket.take(System.nanoTime())) {
      refusedInARow = 0;
      return Verdict.ACCEPT;
    }
    return ++refusedInARow > burst ? Verdict.CLOSE : Verdict.REFUSE;
  }
}
