package io.sluice.proxy.internal;

import io.sluice.api.upstream.RetryPolicy;
import io.sluice.proxy.upstream.retry.RetryRules;
import org.jspecify.annotations.Nullable;

/**
 * Why the gateway, not the upstream, answers an exchange that was on its way to an upstream (or
 * cuts off its response): the one description of a failure from where it is detected to where it
 * is counted, retried and answered. Each kind fixes its reason code (the {@code X-Sluice-Reason}
 * header, the error body, the {@code reason} label of the metrics, the access log), the status
 * the client gets, whether it is held against the upstream (an outcome for circuit breakers and
 * outlier detection), and the retry condition of a {@link RetryPolicy} that lets the request go
 * again after it.
 *
 * <p>A kind with no retry condition is never retried. {@link RetryPolicy.RetryOn#CONNECT_FAILURE}
 * also means nothing of the request reached the upstream, so it can go again whatever its method.
 *
 * <p>Immutable; constants only.
 */
enum FailureKind {
  /** The endpoint refused the connection, or it was unreachable. */
  CONNECT_FAILURE("upstream_connect_failure", 502, true, RetryPolicy.RetryOn.CONNECT_FAILURE),
  /** No connection within the upstream's connect timeout. */
  CONNECT_TIMEOUT("upstream_connect_timeout", 504, true, RetryPolicy.RetryOn.CONNECT_FAILURE),
  /** The TLS handshake with the endpoint failed (before any byte of the request was sent). */
  TLS_HANDSHAKE("upstream_tls_handshake", 502, true, RetryPolicy.RetryOn.CONNECT_FAILURE),
  /** The endpoint's certificate did not verify (chain, name or validity), so the request was not sent. */
  CERT_INVALID("upstream_cert_invalid", 502, true, RetryPolicy.RetryOn.CONNECT_FAILURE),
  /** The upstream closed or reset the connection before or during the response. */
  RESET("upstream_reset", 502, true, RetryPolicy.RetryOn.RESET),
  /** No response head within the response timeout (the route's, else the upstream's). */
  RESPONSE_TIMEOUT("upstream_response_timeout", 504, true, RetryPolicy.RetryOn.TIMEOUT),
  /** The upstream broke HTTP/1.1 (a malformed head or chunk, a status outside 100-599, a 101). */
  PROTOCOL_ERROR("upstream_protocol_error", 502, true, null),
  /** The route's request timeout passed, over all attempts, before a response head. */
  REQUEST_TIMEOUT("upstream_request_timeout", 504, true, null),
  /** The upstream's circuit breaker refused the first attempt. */
  CIRCUIT_OPEN("circuit_open", 503, false, null),
  /** No endpoint of the upstream is in rotation, or every one's breaker refused. */
  NO_HEALTHY_UPSTREAM("no_healthy_upstream", 503, false, null),
  /** The endpoint's connection limit ({@code pool.maxConnectionsPerEndpoint}) is reached. */
  OVERFLOW("upstream_overflow", 503, false, null),
  /** The client stopped sending its request body (the listener's idle timeout): the client's failure. */
  CLIENT_BODY_TIMEOUT("request_timeout", 408, false, null);

  private final String reason;
  private final int status;
  private final boolean upstreamFault;
  private final RetryPolicy.@Nullable RetryOn retryOn;

  FailureKind(String reason, int status, boolean upstreamFault, RetryPolicy.@Nullable RetryOn retryOn) {
    this.reason = reason;
    this.status = status;
    this.upstreamFault = upstreamFault;
    this.retryOn = retryOn;
  }

  /** The reason code, as in {@code X-Sluice-Reason}, metrics and the access log. */
  String reason() {
    return reason;
  }

  /** The status the client gets when this failure is its answer. */
  int status() {
    return status;
  }

  /**
   * Whether the attempt in progress is recorded as a failed call of the upstream and its endpoint
   * (circuit breakers, outlier detection). A failure that is not the upstream's abandons the
   * attempt without an outcome.
   */
  boolean upstreamFault() {
    return upstreamFault;
  }

  /** The retry condition that lets a request go again after this failure; null: never retried. */
  RetryPolicy.@Nullable RetryOn retryOn() {
    return retryOn;
  }

  /** Whether {@code rules} ask for a retry after this failure (other conditions, budget and attempts aside). */
  boolean retriedBy(RetryRules rules) {
    RetryPolicy.RetryOn on = retryOn;
    if (on == null) return false;
    return switch (on) {
      case CONNECT_FAILURE -> rules.onConnectFailure;
      case RESET -> rules.onReset;
      case TIMEOUT -> rules.onTimeout;
    };
  }

  /** Whether nothing of the request reached the upstream, so it may go again whatever its method. */
  boolean nothingSent() {
    return retryOn == RetryPolicy.RetryOn.CONNECT_FAILURE;
  }
}
