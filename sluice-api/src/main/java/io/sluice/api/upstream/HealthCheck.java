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
 * healthCheck: {grpc: {service: my.pkg.Greeter}, interval: 5s}   # gRPC health checking protocol
 * }</pre>
 *
 * @param path the request target to GET, starting with {@code /}; needed unless {@code grpc} is given
 * @param grpc instead of {@code path}: the gRPC health checking protocol ({@code grpc.health.v1.Health/Check})
 *     over the upstream's HTTP/2 ({@code protocol: h2} or {@code h2c})
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
    @Nullable Grpc grpc,
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

  /**
   * The gRPC health checking protocol: a check is a unary {@code grpc.health.v1.Health/Check} call
   * asking for {@code service}; it passes only when the call ends with {@code grpc-status} 0 and
   * the answer says {@code SERVING}. Anything else (NOT_SERVING, SERVICE_UNKNOWN, UNKNOWN, an
   * error status, no answer within the timeout) fails it.
   *
   * @param service the service name to ask about; left out (or empty) asks about the server as a whole
   */
  public record Grpc(@Nullable String service) {}

  /** Whether a check answered with {@code status} passes. */
  public boolean passes(int status) {
    return expectedStatuses.isEmpty() ? status >= 200 && status < 300 : expectedStatuses.contains(status);
  }
}
