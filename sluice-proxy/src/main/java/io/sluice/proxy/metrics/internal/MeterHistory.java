package io.sluice.proxy.metrics.internal;

import java.util.Arrays;

/**
 * Past totals of one meter, sampled every few seconds, from which the stats compute rolling rates
 * (1, 5 and 15 minutes) and latency percentiles (last 5 minutes): a window's value is the total now
 * minus the total at the window's start, interpolated between the two samples around it. A meter
 * younger than a window counts from zero at its creation.
 *
 * <p>Threading: written by the stats sampler, read by stats readers; both under this object's lock,
 * never on an event loop.
 */
final class MeterHistory {
  /** Counters sampled: requests, errors, bytes in, bytes out, duration sum. */
  static final int[] COUNTERS = {Meter.REQUESTS, Meter.ERRORS, Meter.BYTES_IN, Meter.BYTES_OUT, Meter.DURATION_SUM};
  static final long COUNTER_PERIOD_NANOS = 5_000_000_000L;
  static final long HISTOGRAM_PERIOD_NANOS = 30_000_000_000L;
  static final long LONGEST_WINDOW_NANOS = 15 * 60 * 1_000_000_000L;
  static final long LATENCY_WINDOW_NANOS = 5 * 60 * 1_000_000_000L;
  private static final int COUNTER_RING = (int) (LONGEST_WINDOW_NANOS / COUNTER_PERIOD_NANOS) + 3;
  private static final int HISTOGRAM_RING = (int) (LATENCY_WINDOW_NANOS / HISTOGRAM_PERIOD_NANOS) + 3;
  private static final long[] NO_COUNTS = new long[Buckets.FINE_COUNT];

  private final long createdNanos;
  private final long[] counterTimes = new long[COUNTER_RING];
  private final long[][] counters = new long[COUNTER_RING][];
  private int counterSize;
  private int counterHead;
  private final long[] histogramTimes = new long[HISTOGRAM_RING];
  private final long[][] histograms = new long[HISTOGRAM_RING][];
  private int histogramSize;
  private int histogramHead;
  private long lastHistogramNanos;

  MeterHistory(long createdNanos) {
    this.createdNanos = createdNanos;
    this.lastHistogramNanos = createdNanos;
  }

  /** Takes a sample of {@code m} at {@code now}. */
  synchronized void sample(Meter m, long now) {
    long[] values = new long[COUNTERS.length];
    for (int i = 0; i < COUNTERS.length; i++) values[i] = m.sum(COUNTERS[i]);
    counterTimes[counterHead] = now;
    counters[counterHead] = values;
    counterHead = (counterHead + 1) % COUNTER_RING;
    counterSize = Math.min(counterSize + 1, COUNTER_RING);
    if (now - lastHistogramNanos >= HISTOGRAM_PERIOD_NANOS) {
      lastHistogramNanos = now;
      long[] h = new long[Buckets.FINE_COUNT];
      m.sum(Meter.FINE, Buckets.FINE_COUNT, h);
      int prev = (histogramHead - 1 + HISTOGRAM_RING) % HISTOGRAM_RING;
      // An idle meter shares the previous sample's array instead of holding another copy.
      if (histogramSize > 0 && Arrays.equals(histograms[prev], h)) h = histograms[prev];
      histogramTimes[histogramHead] = now;
      histograms[histogramHead] = h;
      histogramHead = (histogramHead + 1) % HISTOGRAM_RING;
      histogramSize = Math.min(histogramSize + 1, HISTOGRAM_RING);
    }
  }

  /**
   * The value of each of {@link #COUNTERS} at {@code at}, interpolated between the samples around it
   * ({@code live} is the value at {@code now}); zero before the meter existed.
   */
  synchronized long[] countersAt(long at, long now, long[] live) {
    long prevTime = createdNanos;
    long[] prev = new long[COUNTERS.length];
    if (at <= createdNanos) return prev;
    for (int k = 0; k < counterSize; k++) {
      int i = (counterHead - counterSize + k + COUNTER_RING) % COUNTER_RING;
      long t = counterTimes[i];
      if (t > at) return interpolate(prevTime, prev, t, counters[i], at);
      prevTime = t;
      prev = counters[i];
    }
    return interpolate(prevTime, prev, now, live, at);
  }

  private static long[] interpolate(long t0, long[] v0, long t1, long[] v1, long at) {
    long[] out = new long[v0.length];
    double f = t1 <= t0 ? 1 : (double) (at - t0) / (t1 - t0);
    for (int i = 0; i < out.length; i++) out[i] = v0[i] + Math.round((v1[i] - v0[i]) * f);
    return out;
  }

  /** Fine histogram counts at the newest sample taken no later than {@code at}; zeros when none was. */
  synchronized long[] histogramAt(long at) {
    long[] found = NO_COUNTS;
    for (int k = 0; k < histogramSize; k++) {
      int i = (histogramHead - histogramSize + k + HISTOGRAM_RING) % HISTOGRAM_RING;
      if (histogramTimes[i] > at) break;
      found = histograms[i];
    }
    return found;
  }
}
