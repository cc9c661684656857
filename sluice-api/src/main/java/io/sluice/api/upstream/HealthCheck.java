package io.sluice.api.upstream;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Active health checking of each endpoint of an upstream: an HTTP/1.1 {@code GET} every
 * {@code interval}. An endpoint that fails {@code unhealthyThreshold} checks in a row leaves the
 * rotation of every load balancer; one that then passes {@code healthyThreshold} in a row returns.
 *
 * <pre>{@code
 * healthCheck: {path: /healthz, interval: 5s, timeout: 1s, healthyThreshold: 2, unhealthyThreshold: 3,
 *               expectedStatuses: [200, 204]}
 * }</pre>
 *
 * @param path the request target to GET, starting with {@code /}; required
 * @param interval time between the start of two checks of one endpoint (default 10s)
 * @param timeout connecting, sending and receiving the status line must take at most this, else
 *     the check fails (default 2s; at most {@code interval})
 * @param healthyThreshold passes in a row that bring an unhealthy endpoint back (default 2)
 * @param unhealthyThreshold failures in a row that take a healthy endpoint out (default 3)
 * @param expectedStatuses statuses that pass; empty (the default) means any 2xx
 * @param host the Host header of the check; default the endpoint's address
 */
public record HealthCheck(
    @Nullable String path,
    Duration interval,
    Duration timeout,
    Integer healthyThreshold,
    Integer unhealthyThreshold,
    List<Integer> expectedStatuses,
    @Nullable String host) {

  public HealthCheck {
    interval = interval == null ? Duration.ofSeconds(10) : interval;
    timeout = timeout == null ? Duration.ofSeconds(2) : timeout;
    healthyThreshold = healthyThreshold == null ? 2 : healthyThreshold;
    unhealthyThreshold = unhealthyThreshold == null ? 3 : unhealthyThreshold;
    expectedStatuses = expectedStatuses == null ? List.of() : List.copyOf(expectedStatuses);
  }

  /** Whether a check answered with {@code status} passes. */
  public boolean passes(int status) {
    return expectedStatuses.isEmpty() ? status >= 200 && status < 300 : expectedStatuses.contains(status);
  }
}
