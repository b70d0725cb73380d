package dev.apexpulse.bench;

/** Latency histogram in microseconds, log buckets 2% wide (enough for p50/p99/p999). */
final class Hist {
  private static final double BASE = Math.log(1.02);
  static final int BUCKETS = 1200;
  final long[] counts = new long[BUCKETS];

  void record(long micros) {
    int i = micros <= 0 ? 0 : (int) (Math.log(micros + 1) / BASE);
    counts[Math.min(i, BUCKETS - 1)]++;
  }

  void add(Hist other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
  }

  long total() {
    long t = 0;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  /** The q-quantile (0..1) in milliseconds, or NaN without samples. */
  double quantileMillis(double q) {
    long total = total();
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= Math.max(1, rank)) {
        return (Math.exp((i + 1) * BASE) - 1) / 1000.0;
      }
    }
    return Double.NaN;
  }
}
