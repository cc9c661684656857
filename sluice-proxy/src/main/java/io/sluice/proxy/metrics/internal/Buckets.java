package io.sluice.proxy.metrics.internal;

/**
 * The two histogram layouts every meter records into: the fixed Prometheus buckets, and a fine
 * log-linear layout from which the stats compute percentiles.
 *
 * <p>The fine layout has 16 linear sub-buckets per power of two of microseconds: exact below
 * 16 µs, within 1/16 (6.25%) above, up to 2^32 µs (71 minutes; longer values count in the last
 * bucket). A percentile is reported as the middle of its bucket, so it is off by at most ~3%.
 */
public final class Buckets {
  /** Upper bounds of the Prometheus latency buckets, in seconds; {@code +Inf} follows. */
  public static final double[] PROMETHEUS_SECONDS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  /** The same bounds in nanoseconds. */
  private static final long[] PROMETHEUS_NANOS = new long[PROMETHEUS_SECONDS.length];
  /** Prometheus buckets including {@code +Inf}. */
  public static final int PROMETHEUS_COUNT = PROMETHEUS_SECONDS.length + 1;

  private static final int SUB_BITS = 4;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MAX_MSB = 31;
  /** Buckets of the fine layout. */
  public static final int FINE_COUNT = (MAX_MSB - SUB_BITS + 2) * SUB;

  static {
    for (int i = 0; i < PROMETHEUS_SECONDS.length; i++) PROMETHEUS_NANOS[i] = Math.round(PROMETHEUS_SECONDS[i] * 1e9);
  }

  private Buckets() {}

  /** The Prometheus bucket of a duration: the first whose bound is at least {@code nanos}. */
  public static int prometheusIndex(long nanos) {
    long[] b = PROMETHEUS_NANOS;
    // Most requests are fast: a scan from the small end usually stops within a few compares.
    for (int i = 0; i < b.length; i++) {
      if (nanos <= b[i]) return i;
    }
    return b.length;
  }

  /** The fine bucket of a duration. */
  public static int fineIndex(long nanos) {
    long micros = nanos <= 0 ? 0 : nanos / 1000;
    if (micros < SUB) return (int) micros;
    int msb = 63 - Long.numberOfLeadingZeros(micros);
    if (msb > MAX_MSB) return FINE_COUNT - 1;
    int sub = (int) (micros >>> (msb - SUB_BITS)) & (SUB - 1);
    return (msb - SUB_BITS + 1) * SUB + sub;
  }

  /** The lower bound of a fine bucket, in microseconds. */
  public static long fineLowerMicros(int index) {
    if (index < SUB) return index;
    int msb = index / SUB + SUB_BITS - 1;
    int sub = index % SUB;
    return (long) (SUB + sub) << (msb - SUB_BITS);
  }

  /** The width of a fine bucket, in microseconds. */
  public static long fineWidthMicros(int index) {
    if (index < SUB) return 1;
    int msb = index / SUB + SUB_BITS - 1;
    return 1L << (msb - SUB_BITS);
  }
}
