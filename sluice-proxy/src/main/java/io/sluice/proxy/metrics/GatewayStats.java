package io.sluice.proxy.metrics;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Traffic statistics for people (an admin endpoint, {@code sluice top}): per listener, route,
 * upstream and endpoint, the totals since the object was applied, rolling rates over the last 1, 5
 * and 15 minutes, and latency percentiles over the last 5 minutes. Plain records: Jackson writes
 * them as JSON as they are.
 *
 * <p>A window's rate is what happened in the window divided by its length (an object younger than
 * the window counts from zero at its start). Windows are read from samples taken every 5 seconds,
 * interpolated; latency windows from samples every 30 seconds.
 *
 * @param time when these numbers were read, RFC 3339 in UTC ({@code 2026-11-23T12:00:00.123Z})
 * @param listeners by name
 * @param routes by name; latency is the whole exchange (first request byte to last response byte)
 * @param upstreams by name, each with its endpoints; latency is upstream time (attempt start to end)
 */
public record GatewayStats(String time, List<Listener> listeners, List<Route> routes, List<Upstream> upstreams) {

  /**
   * @param name the listener
   * @param activeConnections client connections open now
   * @param traffic everything received on the listener, routed or not
   */
  public record Listener(String name, long activeConnections, Traffic traffic) {}

  /** @param name the route */
  public record Route(String name, Traffic traffic) {}

  /**
   * @param name the upstream
   * @param traffic its endpoints' attempts together
   * @param endpoints by address
   * @param breaker the state of the upstream's own circuit breaker ({@code closed}: requests pass;
   *     {@code open}: refused until its wait ends; {@code half-open}: a few trial requests decide);
   *     null when its {@code circuitBreaker.upstream} is not configured
   */
  public record Upstream(String name, Traffic traffic, List<Endpoint> endpoints, @Nullable String breaker) {}

  /**
   * @param address {@code host:port} as configured
   * @param healthy whether the endpoint is in rotation
   * @param openConnections connections open to it from the whole gateway, idle and busy
   * @param activeRequests requests in flight to it
   * @param traffic its upstream attempts
   * @param breaker the state of the endpoint's circuit breaker ({@code closed}, {@code open} or
   *     {@code half-open}); null when the upstream's {@code circuitBreaker.endpoint} is not configured
   */
  public record Endpoint(String address, boolean healthy, int openConnections, int activeRequests, Traffic traffic,
      @Nullable String breaker) {}


  /**
   * @param requests total since the object was applied
   * @param errors of those: responses with status 500 or more, and responses cut short by an upstream
   *     failure (for an endpoint: attempts that failed or got a 5xx)
   * @param requestRate requests per second
   * @param errorRate errors per second
   * @param latency over the last 5 minutes
   * @param bandwidth bytes in and out
   * @param statusCodes totals by status code ({@code "200"}); codes beyond the series cap as
   *     {@code "other-5xx"} and the like
   */
  public record Traffic(
      long requests, long errors, Rates requestRate, Rates errorRate, Latency latency, Bandwidth bandwidth,
      Map<String, Long> statusCodes) {}

  /** Per-second rates over the last 1, 5 and 15 minutes. */
  public record Rates(double m1, double m5, double m15) {}

  /**
   * Latency in milliseconds over the last 5 minutes; all zero when there were no requests.
   *
   * @param count requests in the window
   * @param mean the mean
   */
  public record Latency(
      long count, double mean, double p25, double p50, double p75, double p95, double p98, double p99, double p999) {}

  /**
   * @param bytesIn request bytes received (heads and bodies), total
   * @param bytesOut response bytes sent, total
   * @param inRate bytes per second received
   * @param outRate bytes per second sent
   */
  public record Bandwidth(long bytesIn, long bytesOut, Rates inRate, Rates outRate) {}
}
