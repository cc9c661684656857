package io.sluice.proxy.metrics.internal;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Past totals of one meter, sampled every few seconds, from which the stats compute rolling rates
 * (1, 5 and 15 minutes) and latency percentiles (last 5 minutes): a window's value is the total now
 * minus the total at the window's start, interpolated between the two samples around it. A meter
 * younger than a window counts from zero at its creation.
 *
 * <p>Memory: samples are kept only while the meter has traffic. An idle meter keeps one baseline
 * (its totals, and its latency histogram if it ever had traffic) and the time up to which they are
 * known to be unchanged; the rings are allocated at the first sample that sees new requests, and let
 * go once the meter has been idle for longer than the longest window, when every window reads the
 * baseline again. A route that never sees a request holds no sample at all.
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
  private static final long[] NO_COUNTERS = new long[COUNTERS.length];

  private final long createdNanos;
  /** The totals from {@link #baselineNanos} back to the start of every window (or to creation). */
  private long[] baseline = NO_COUNTERS;
  private long[] baselineHistogram = NO_COUNTS;
  /** The last sample time at which the meter still had {@link #baseline}'s totals. */
  private long baselineNanos;
  /** The last sample time that saw new requests. */
  private long lastTrafficNanos;
  private @Nullable Rings rings;

  /** Samples since the meter last came out of idleness, oldest first in each ring. */
  private static final class Rings {
    final long[] counterTimes = new long[COUNTER_RING];
    final long[][] counters = new long[COUNTER_RING][];
    int counterSize;
    int counterHead;
    final long[] histogramTimes = new long[HISTOGRAM_RING];
    final long[][] histograms = new long[HISTOGRAM_RING][];
    int histogramSize;
    int histogramHead;
    long lastHistogramNanos;

    void addCounters(long t, long[] values) {
      int prev = (counterHead - 1 + COUNTER_RING) % COUNTER_RING;
      // Idle stretches between bursts repeat the previous totals: share that array.
      if (counterSize > 0 && Arrays.equals(counters[prev], values)) values = counters[prev];
      counterTimes[counterHead] = t;
      counters[counterHead] = values;
      counterHead = (counterHead + 1) % COUNTER_RING;
      counterSize = Math.min(counterSize + 1, COUNTER_RING);
    }

    void addHistogram(long t, long[] counts) {
      int prev = (histogramHead - 1 + HISTOGRAM_RING) % HISTOGRAM_RING;
      if (histogramSize > 0 && Arrays.equals(histograms[prev], counts)) counts = histograms[prev];
      histogramTimes[histogramHead] = t;
      histograms[histogramHead] = counts;
      histogramHead = (histogramHead + 1) % HISTOGRAM_RING;
      histogramSize = Math.min(histogramSize + 1, HISTOGRAM_RING);
      lastHistogramNanos = t;
    }

    long[] newestCounters() {
      return counters[(counterHead - 1 + COUNTER_RING) % COUNTER_RING];
    }

    long[] newestHistogram() {
      return histograms[(histogramHead - 1 + HISTOGRAM_RING) % HISTOGRAM_RING];
    }
  }

  MeterHistory(long createdNanos) {
    this.createdNanos = createdNanos;
    this.baselineNanos = createdNanos;
  }

  /** Takes a sample of {@code m} at {@code now}. */
  synchronized void sample(Meter m, long now) {
    Rings r = rings;
    long requests = m.sum(Meter.REQUESTS);
    long known = r == null ? baseline[0] : r.newestCounters()[0];
    // Every counter sampled moves only with a request: an unchanged request count is idleness.
    if (requests == known) {
      if (r == null) {
        baselineNanos = now;
        return;
      }
      if (now - lastTrafficNanos > LONGEST_WINDOW_NANOS + COUNTER_PERIOD_NANOS) {
        // Idle for longer than every window: they all read the newest samples (taken while idle,
        // so complete) until the next request.
        baseline = r.newestCounters();
        baselineHistogram = r.newestHistogram();
        baselineNanos = now;
        rings = null;
        return;
      }
    } else {
      lastTrafficNanos = now;
      if (r == null) {
        r = new Rings();
        r.addCounters(baselineNanos, baseline);
        r.addHistogram(baselineNanos, baselineHistogram);
        rings = r;
      }
    }
    r.addCounters(now, counters(m));
    if (now - r.lastHistogramNanos >= HISTOGRAM_PERIOD_NANOS) r.addHistogram(now, histogram(m));
  }

  private static long[] counters(Meter m) {
    long[] values = new long[COUNTERS.length];
    for (int i = 0; i < COUNTERS.length; i++) values[i] = m.sum(COUNTERS[i]);
    return values;
  }

  private static long[] histogram(Meter m) {
    long[] h = new long[Buckets.FINE_COUNT];
    m.sum(Meter.FINE, Buckets.FINE_COUNT, h);
    return h;
  }

  /**
   * The value of each of {@link #COUNTERS} at {@code at}, interpolated between the samples around it
   * ({@code live} is the value at {@code now}); zero before the meter existed.
   */
  synchronized long[] countersAt(long at, long now, long[] live) {
    if (at <= createdNanos) return new long[COUNTERS.length];
    long prevTime = baselineNanos;
    long[] prev = baseline;
    Rings r = rings;
    if (r != null) {
      for (int k = 0; k < r.counterSize; k++) {
        int i = (r.counterHead - r.counterSize + k + COUNTER_RING) % COUNTER_RING;
        long t = r.counterTimes[i];
        if (k == 0 && t >= at) return r.counters[i].clone();
        if (t > at) return interpolate(prevTime, prev, t, r.counters[i], at);
        prevTime = t;
        prev = r.counters[i];
      }
    } else if (at <= baselineNanos) {
      return baseline.clone();
    }
    return interpolate(prevTime, prev, now, live, at);
  }

  private static long[] interpolate(long t0, long[] v0, long t1, long[] v1, long at) {
    long[] out = new long[v0.length];
    double f = t1 <= t0 ? 1 : (double) (at - t0) / (t1 - t0);
    for (int i = 0; i < out.length; i++) out[i] = v0[i] + Math.round((v1[i] - v0[i]) * f);
    return out;
  }

  /**
   * Fine histogram counts at the newest sample taken no later than {@code at}; the baseline when
   * none was (zeros for a meter that has not seen a request since it was created).
   */
  synchronized long[] histogramAt(long at) {
    Rings r = rings;
    if (r == null) return baselineHistogram;
    long[] found = baselineHistogram;
    for (int k = 0; k < r.histogramSize; k++) {
      int i = (r.histogramHead - r.histogramSize + k + HISTOGRAM_RING) % HISTOGRAM_RING;
      if (r.histogramTimes[i] > at) break;
      found = r.histograms[i];
    }
    return found;
  }

  /** Samples held (counter and histogram entries): zero for a meter without recent traffic. */
  synchronized int samplesHeld() {
    Rings r = rings;
    return r == null ? 0 : r.counterSize + r.histogramSize;
  }
}
