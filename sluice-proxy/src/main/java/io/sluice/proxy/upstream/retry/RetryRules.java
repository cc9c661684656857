package io.sluice.proxy.upstream.retry;

import io.github.resilience4j.core.IntervalFunction;
import io.sluice.api.upstream.RetryPolicy;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RetryPolicy} compiled for the request path: flags and a status table instead of lists,
 * and the backoff as a resilience4j {@link IntervalFunction}. Immutable and thread-safe.
 *
 * <p>Which requests may be retried at all ({@link #mayRetry}): those with an idempotent method
 * (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), or any method with {@code retryNonIdempotent}. Their
 * bodies are kept for replay up to {@link #replayBufferLimit} bytes. A connect failure is
 * retried whatever the method: nothing reached the upstream.
 */
public final class RetryRules {
  /** Tries in all, the first included. */
  public final int attempts;
  public final boolean onConnectFailure;
  public final boolean onReset;
  public final boolean onTimeout;
  public final boolean retryNonIdempotent;
  public final long replayBufferLimit;
  public final int budgetPercent;
  public final int budgetMinConcurrency;
  private final boolean[] statuses = new boolean[100];
  /** Retried gRPC codes, by code (0..16). */
  private final boolean[] grpcStatuses = new boolean[17];
  /** Whether any gRPC code is retried: only then is a request checked for being a gRPC call. */
  public final boolean retriesGrpc;
  private final IntervalFunction backoff;

  private RetryRules(RetryPolicy p) {
    this.attempts = p.attempts();
    this.onConnectFailure = p.retryOn().contains(RetryPolicy.RetryOn.CONNECT_FAILURE);
    this.onReset = p.retryOn().contains(RetryPolicy.RetryOn.RESET);
    this.onTimeout = p.retryOn().contains(RetryPolicy.RetryOn.TIMEOUT);
    this.retryNonIdempotent = p.retryNonIdempotent();
    this.replayBufferLimit = p.replayBufferLimit().bytes();
    this.budgetPercent = p.budget().percent();
    this.budgetMinConcurrency = p.budget().minConcurrency();
    for (int s : p.statuses()) {
      if (s >= 500 && s <= 599) statuses[s - 500] = true;
    }
    for (RetryPolicy.GrpcCode c : p.grpcStatuses()) grpcStatuses[c.code()] = true;
    this.retriesGrpc = !p.grpcStatuses().isEmpty();
    RetryPolicy.Backoff b = p.backoff();
    this.backoff = b.jitter() == 0
        ? IntervalFunction.ofExponentialBackoff(b.base(), 2.0, b.max())
        : IntervalFunction.ofExponentialRandomBackoff(b.base(), 2.0, b.jitter(), b.max());
  }

  /** Compiles a validated policy; null stays null (no retries). A policy of one attempt retries nothing. */
  public static @Nullable RetryRules compile(@Nullable RetryPolicy policy) {
    return policy == null || policy.attempts() <= 1 ? null : new RetryRules(policy);
  }

  /** Whether a response with {@code status} is dropped and the request retried. */
  public boolean retriesStatus(int status) {
    return status >= 500 && status <= 599 && statuses[status - 500];
  }

  /** Whether a gRPC call answered trailers-only with {@code grpcStatus} (-1: none) is retried. */
  public boolean retriesGrpcStatus(int grpcStatus) {
    return grpcStatus >= 0 && grpcStatus < grpcStatuses.length && grpcStatuses[grpcStatus];
  }

  /** Whether a request with {@code method} may be retried after anything reached the upstream. */
  public boolean mayRetry(String method) {
    return retryNonIdempotent || isIdempotent(method);
  }

  /** RFC 9110 §9.2.2. */
  public static boolean isIdempotent(String method) {
    return switch (method) {
      case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
      default -> false;
    };
  }

  /** The wait before retry {@code retry} (1 for the first retry). */
  public long backoffNanos(int retry) {
    return TimeUnit.MILLISECONDS.toNanos(backoff.apply(retry));
  }
}
