package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.proxy.metrics.GatewayStats;
import io.sluice.proxy.metrics.internal.Meter;
import io.sluice.proxy.metrics.internal.MeterKind;
import io.sluice.proxy.metrics.internal.MeterRegistry;
import io.sluice.proxy.metrics.internal.StatsCalculator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stats history driven with a simulated clock: the sampler's step is called as its 5-second
 * timer would call it, so tens of minutes take milliseconds and nothing depends on the wall clock.
 */
class StatsHistoryTest {
  private static final long TICK = 5_000_000_000L;
  private static final long MS = 1_000_000L;

  @Test
  void tenThousandIdleRoutesHoldNoHistoryOverTwentyMinutes() {
    MeterRegistry r = new MeterRegistry(2, 20_000);
    for (int i = 0; i < 10_000; i++) r.route("route-" + i);
    long t0 = System.nanoTime();
    for (int k = 1; k <= 240; k++) {
      r.sampleHistory(t0 + k * TICK);
      if (k % 12 == 0) assertThat(r.historySamples(MeterKind.ROUTE)).as("samples after %d s", k * 5).isZero();
    }
  }

  @Test
  void aBusyRouteGetsExactRatesAndLatencyAndLetsGoOfItsHistoryOnceIdleForFifteenMinutes() {
    MeterRegistry r = new MeterRegistry(2, 100);
    Meter busy = r.route("busy");
    Meter quiet = r.route("quiet");
    long t0 = System.nanoTime();
    // Ten minutes of 6 requests per 5 s: five of 2 ms, one of 40 ms that fails with a 503.
    for (int k = 1; k <= 120; k++) {
      sixRequests(busy, k);
      r.sampleHistory(t0 + k * TICK);
    }
    GatewayStats.Traffic t = StatsCalculator.traffic(List.of(busy), t0 + 120 * TICK);
    assertThat(t.requests()).isEqualTo(720);
    assertThat(t.errors()).isEqualTo(120);
    assertThat(t.requestRate().m1()).isCloseTo(72 / 60.0, within(1e-9));
    assertThat(t.requestRate().m5()).isCloseTo(360 / 300.0, within(1e-9));
    // The route is ten minutes old: the 15-minute window counts from zero at its start.
    assertThat(t.requestRate().m15()).isCloseTo(720 / 900.0, within(1e-9));
    assertThat(t.errorRate().m1()).isCloseTo(12 / 60.0, within(1e-9));
    assertThat(t.latency().count()).isEqualTo(360);
    assertThat(t.latency().mean()).isCloseTo((300 * 2 + 60 * 40) / 360.0, within(1e-9));
    // Bucket midpoints: 2 ms falls in [1.984, 2.048) ms, 40 ms in [38.912, 40.96) ms.
    assertThat(t.latency().p50()).isCloseTo(2.016, within(1e-9));
    assertThat(t.latency().p99()).isCloseTo(39.936, within(1e-9));
    assertThat(r.historySamples(MeterKind.ROUTE)).isPositive().isLessThanOrEqualTo(200);
    assertThat(StatsCalculator.traffic(List.of(quiet), t0 + 120 * TICK).requests()).isZero();

    // Ten idle minutes later: only the 15-minute window still sees traffic, the second five minutes'.
    for (int k = 121; k <= 240; k++) r.sampleHistory(t0 + k * TICK);
    t = StatsCalculator.traffic(List.of(busy), t0 + 240 * TICK);
    assertThat(t.requestRate().m1()).isZero();
    assertThat(t.requestRate().m5()).isZero();
    assertThat(t.requestRate().m15()).isCloseTo(360 / 900.0, within(1e-9));
    assertThat(t.latency().count()).isZero();

    // Idle for longer than the longest window: its history goes, the totals stay.
    for (int k = 241; k <= 360; k++) r.sampleHistory(t0 + k * TICK);
    assertThat(r.historySamples(MeterKind.ROUTE)).isZero();
    t = StatsCalculator.traffic(List.of(busy), t0 + 360 * TICK);
    assertThat(t.requests()).isEqualTo(720);
    assertThat(t.requestRate().m15()).isZero();
    assertThat(t.latency().count()).isZero();

    // Traffic again: one minute of it, measured from the totals the history let go of.
    for (int k = 361; k <= 372; k++) {
      sixRequests(busy, k);
      r.sampleHistory(t0 + k * TICK);
    }
    t = StatsCalculator.traffic(List.of(busy), t0 + 372 * TICK);
    assertThat(t.requests()).isEqualTo(792);
    assertThat(t.requestRate().m1()).isCloseTo(72 / 60.0, within(1e-9));
    assertThat(t.requestRate().m5()).isCloseTo(72 / 300.0, within(1e-9));
    assertThat(t.requestRate().m15()).isCloseTo(72 / 900.0, within(1e-9));
    assertThat(t.errorRate().m5()).isCloseTo(12 / 300.0, within(1e-9));
    assertThat(t.latency().count()).isEqualTo(72);
    assertThat(t.latency().mean()).isCloseTo((60 * 2 + 12 * 40) / 72.0, within(1e-9));
    assertThat(t.latency().p99()).isCloseTo(39.936, within(1e-9));
  }

  private static void sixRequests(Meter m, int k) {
    for (int i = 0; i < 5; i++) m.record(k % 2, 200, null, false, 100, 200, 2 * MS);
    m.record(k % 2, 503, null, true, 100, 200, 40 * MS);
  }
}
