package io.sluice.server;

import io.sluice.proxy.metrics.MetricsOptions;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** {@code serve}'s options for what {@code /metrics} says per route and how many series it may have. */
final class MetricsFlags {
  @Option(names = "--metrics-route-histograms",
      description = "a latency histogram per route in /metrics (19 series a route; listeners and endpoints always have one)")
  boolean routeHistograms;

  @Option(names = "--metrics-route-status-codes", paramLabel = "class|code", defaultValue = "class",
      description = "sluice_route_requests_total by status class (default) or by status code and class")
  MetricsOptions.StatusCodes routeStatusCodes = MetricsOptions.StatusCodes.CLASS;

  @Option(names = "--metrics-max-series", paramLabel = "N",
      description = "the most series of the listener, route and endpoint metrics together (default: "
          + MetricsOptions.DEFAULT_MAX_SERIES + "); beyond it, a route counts in the __overflow__ series")
  @Nullable Integer maxSeries;

  /** The options, or null after printing what is wrong with them. */
  @Nullable MetricsOptions options() {
    int max = maxSeries == null ? MetricsOptions.DEFAULT_MAX_SERIES : maxSeries;
    if (max < 1) {
      System.err.println("sluice serve: --metrics-max-series must be at least 1, got " + max);
      return null;
    }
    return new MetricsOptions(routeHistograms, routeStatusCodes, max);
  }
}
