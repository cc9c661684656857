package io.sluice.filter;

import java.util.Objects;

/**
 * Why an {@link UpstreamCall} got no reply: the exception a call's completion fails with. A reply
 * with an error status (a 500, say) is a reply, not this.
 */
public final class UpstreamCallException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure, each with the status a filter would usually answer with. */
  public enum Failure {
    /** No Upstream of that name in the running configuration (the factory did not declare it in {@link FilterFactory#references}). */
    UNKNOWN_UPSTREAM(500),
    /** No endpoint of the Upstream is in rotation (health checks, outlier detection, breakers). */
    NO_HEALTHY_ENDPOINT(503),
    /** The Upstream's circuit breaker is open. */
    CIRCUIT_OPEN(503),
    /** An endpoint's connection limit ({@code pool.maxConnectionsPerEndpoint}) is reached. */
    OVERFLOW(503),
    /** No connection (refused, unreachable, connect timeout, TLS handshake) on the last attempt. */
    CONNECT_FAILURE(502),
    /** The endpoint closed or reset the connection, or broke HTTP, on the last attempt. */
    UPSTREAM_RESET(502),
    /** No response within the Upstream's response timeout, or the call's own deadline. */
    TIMEOUT(504),
    /** The response body was longer than {@link UpstreamCall#maxResponseBody}. */
    BODY_TOO_LARGE(502);

    private final int status;

    Failure(int status) {
      this.status = status;
    }

    /** The status a gateway would answer a client with for this failure (502, 503 or 504; 500 for a bug). */
    public int status() {
      return status;
    }
  }

  private final Failure failure;

  public UpstreamCallException(Failure failure, String message) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.failure = Objects.requireNonNull(failure, "failure");
  }

  public Failure failure() {
    return failure;
  }
}
