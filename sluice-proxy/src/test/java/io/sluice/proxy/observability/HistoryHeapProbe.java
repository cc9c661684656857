package io.sluice.proxy.observability;

import io.sluice.proxy.metrics.internal.Meter;
import io.sluice.proxy.metrics.internal.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the heap retained after a full GC while the stats sampler runs over idle routes, one line
 * per simulated minute (the sampler is driven with a simulated clock, so 15 minutes take seconds).
 * Not a test: run by hand, as docs/benchmarks.md ("Metrics size at 10,000 routes") says.
 *
 * <p>Arguments: routes (default 10000), event loops (default 2), simulated minutes (default 15).
 */
public final class HistoryHeapProbe {
  private HistoryHeapProbe() {}

  public static void main(String[] args) {
    int routes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int loops = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int minutes = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    long before = retained();
    MeterRegistry registry = new MeterRegistry(loops, 1_000_000);
    List<Meter> keep = new ArrayList<>();
    for (int i = 0; i < routes; i++) keep.add(registry.route("route-" + i));
    long start = System.nanoTime();
    System.out.printf("routes %d, loops %d: meters %.1f MiB%n", routes, loops, (retained() - before) / 1048576.0);
    long tick = 5_000_000_000L;
    for (int k = 1; k <= minutes * 12; k++) {
      registry.sampleHistory(start + k * tick);
      if (k % 12 == 0) {
        System.out.printf("minute %2d: retained %.1f MiB%n", k / 12, (retained() - before) / 1048576.0);
      }
    }
    if (keep.size() != routes) throw new AssertionError();
  }

  private static long retained() {
    for (int i = 0; i < 3; i++) System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
