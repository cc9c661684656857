package io.sluice.proxy.metrics;

import java.util.Objects;

/**
 * How much the gateway's Prometheus metrics say per route, and how many series they may have.
 * Fixed when the gateway starts ({@code sluice serve --metrics-*}).
 *
 * <p>The defaults keep a route to about three series (requests by status class, bytes in, bytes
 * out), so that 10,000 routes scrape in under 2 MB; listeners and upstream endpoints always have
 * their status codes and latency histograms. The statistics ({@code Gateway.stats()}) are the same
 * whatever these say: exact status codes, percentiles and rates per route.
 *
 * @param routeHistograms whether each route has a latency histogram
 *     ({@code sluice_route_request_duration_seconds}, 19 series a route)
 * @param routeStatusCodes whether {@code sluice_route_requests_total} is by status class (label
 *     {@code class}) or by status code (labels {@code code} and {@code class})
 * @param maxSeries the most series the listener, route and endpoint families may have together; a
 *     listener, route or endpoint whose series would go beyond it is counted in its family's
 *     overflow series (every label {@code __overflow__}), and its series in
 *     {@code sluice_metrics_series_dropped_total}
 */
public record MetricsOptions(boolean routeHistograms, StatusCodes routeStatusCodes, int maxSeries) {
  /** The default of {@link #maxSeries}: 10,000 routes with the defaults take about 30,000. */
  public static final int DEFAULT_MAX_SERIES = 50_000;
  public static final MetricsOptions DEFAULTS = new MetricsOptions(false, StatusCodes.CLASS, DEFAULT_MAX_SERIES);

  /** How a route's requests are broken down by response status. */
  public enum StatusCodes {
    /** {@code class="2xx"}: at most six series a route. */
    CLASS,
    /** {@code code="200", class="2xx"}: a series for each code a route answers. */
    CODE
  }

  public MetricsOptions {
    Objects.requireNonNull(routeStatusCodes, "routeStatusCodes");
    if (maxSeries < 1) throw new IllegalArgumentException("maxSeries must be at least 1, got " + maxSeries);
  }

  public MetricsOptions withRouteHistograms(boolean on) {
    return new MetricsOptions(on, routeStatusCodes, maxSeries);
  }

  public MetricsOptions withRouteStatusCodes(StatusCodes codes) {
    return new MetricsOptions(routeHistograms, codes, maxSeries);
  }

  public MetricsOptions withMaxSeries(int max) {
    return new MetricsOptions(routeHistograms, routeStatusCodes, max);
  }
}
