package io.sluice.proxy.metrics.internal;

import io.sluice.proxy.metrics.GatewayStats;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Turns meters and their histories into {@link GatewayStats.Traffic}. Runs off the event loops. */
public final class StatsCalculator {
  private static final long MINUTE = 60_000_000_000L;
  private static final long[] WINDOWS = {MINUTE, 5 * MINUTE, 15 * MINUTE};
  private static final double[] QUANTILES = {0.25, 0.5, 0.75, 0.95, 0.98, 0.99, 0.999};

  private StatsCalculator() {}

  /** The traffic of {@code meters} together (an upstream's endpoints), or of one meter. */
  public static GatewayStats.Traffic traffic(List<Meter> meters, long now) {
    int n = MeterHistory.COUNTERS.length;
    long[] live = new long[n];
    long[][] base = new long[WINDOWS.length][n];
    long[] fine = new long[Buckets.FINE_COUNT];
    long[] fineBase = new long[Buckets.FINE_COUNT];
    long[] scratch = new long[Buckets.FINE_COUNT];
    long latencySumNow = 0;
    long latencySumBase = 0;
    Map<String, Long> codes = new TreeMap<>();
    for (Meter m : meters) {
      long[] mLive = new long[n];
      for (int i = 0; i < n; i++) mLive[i] = m.sum(MeterHistory.COUNTERS[i]);
      for (int i = 0; i < n; i++) live[i] += mLive[i];
      for (int w = 0; w < WINDOWS.length; w++) {
        long[] b = m.history.countersAt(now - WINDOWS[w], now, mLive);
        for (int i = 0; i < n; i++) base[w][i] += b[i];
      }
      m.sum(Meter.FINE, Buckets.FINE_COUNT, scratch);
      long[] hb = m.history.histogramAt(now - MeterHistory.LATENCY_WINDOW_NANOS);
      for (int i = 0; i < scratch.length; i++) {
        fine[i] += scratch[i];
        fineBase[i] += hb[i];
      }
      // The mean comes from the duration sum over the same window as the percentiles.
      latencySumNow += mLive[4];
      latencySumBase += m.history.countersAt(now - MeterHistory.LATENCY_WINDOW_NANOS, now, mLive)[4];
      CodeSlots slots = m.slots();
      for (int i = 0; i < CodeSlots.STATUS_SLOTS; i++) {
        int status = slots.status(i);
        long c = status == 0 ? 0 : m.sum(Meter.STATUSES + i);
        if (c > 0) codes.merge(Integer.toString(status), c, Long::sum);
      }
      for (int k = 0; k < 6; k++) {
        long c = m.sum(Meter.STATUS_OTHER + k);
        if (c > 0) codes.merge(k < 5 ? "other-" + (k + 1) + "xx" : "other", c, Long::sum);
      }
    }
    for (int i = 0; i < fine.length; i++) fine[i] -= fineBase[i];
    return new GatewayStats.Traffic(live[0], live[1], rates(live, base, 0), rates(live, base, 1),
        latency(fine, latencySumNow - latencySumBase),
        new GatewayStats.Bandwidth(live[2], live[3], rates(live, base, 2), rates(live, base, 3)), codes);
  }

  private static GatewayStats.Rates rates(long[] live, long[][] base, int i) {
    double[] r = new double[WINDOWS.length];
    for (int w = 0; w < WINDOWS.length; w++) {
      r[w] = Math.max(0, live[i] - base[w][i]) / (WINDOWS[w] / 1e9);
    }
    return new GatewayStats.Rates(r[0], r[1], r[2]);
  }

  private static GatewayStats.Latency latency(long[] counts, long sumNanos) {
    long total = 0;
    for (long c : counts) total += Math.max(0, c);
    if (total == 0) return new GatewayStats.Latency(0, 0, 0, 0, 0, 0, 0, 0, 0);
    double[] q = new double[QUANTILES.length];
    for (int k = 0; k < QUANTILES.length; k++) {
      long rank = Math.max(1, (long) Math.ceil(QUANTILES[k] * total));
      long seen = 0;
      for (int i = 0; i < counts.length; i++) {
        seen += Math.max(0, counts[i]);
        if (seen >= rank) {
          long width = Buckets.fineWidthMicros(i);
          double mid = Buckets.fineLowerMicros(i) + (width > 1 ? width / 2.0 : 0);
          q[k] = mid / 1000.0;
          break;
        }
      }
    }
    return new GatewayStats.Latency(total, Math.max(0, sumNanos) / 1e6 / total, q[0], q[1], q[2], q[3], q[4], q[5], q[6]);
  }
}
