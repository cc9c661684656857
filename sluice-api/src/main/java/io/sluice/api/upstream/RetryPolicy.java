package io.sluice.api.upstream;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.sluice.api.ByteSize;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * When and how a failed request is tried again, on another endpoint of the same upstream. Set on
 * an Upstream, and on a Route to replace the upstream's policy for that route.
 *
 * <pre>{@code
 * retries:
 *   attempts: 3                      # the first try and up to two retries
 *   retryOn: [connect-failure, reset, timeout]
 *   statuses: [503]
 *   grpcStatuses: [unavailable]      # gRPC calls: trailers-only answers with these codes
 *   backoff: {base: 25ms, max: 250ms, jitter: 0.5}
 *   budget: {percent: 20, minConcurrency: 3}
 *   retryNonIdempotent: false
 *   replayBufferLimit: 64KiB
 * }</pre>
 *
 * <p>A request is retried only while no byte of a response has gone to the client. GET, HEAD,
 * OPTIONS, TRACE, PUT and DELETE are retried; other methods only with {@code retryNonIdempotent:
 * true}, except after a connect failure, when nothing reached the upstream. A request body is
 * kept for replay up to {@code replayBufferLimit}; a longer body is not retried once any of it was
 * sent.
 *
 * @param attempts tries in all, the first included, 1 to 10 (default 2)
 * @param retryOn the failures that are retried (default all: connect-failure, reset, timeout)
 * @param statuses response statuses that are retried (the response is dropped); default none
 * @param grpcStatuses gRPC status codes (by Envoy's names) whose trailers-only answer to a gRPC
 *     call is dropped and the call retried; a gRPC call is then retried whatever
 *     {@code retryNonIdempotent} says (its method is always POST); default none
 * @param backoff the wait before each retry
 * @param budget how many retries may be in progress at once, per upstream
 * @param retryNonIdempotent retry POST, PATCH and other methods too (default false)
 * @param replayBufferLimit the longest request body kept for replay (default 64KiB)
 */
public record RetryPolicy(
    Integer attempts,
    List<RetryOn> retryOn,
    List<Integer> statuses,
    List<GrpcCode> grpcStatuses,
    Backoff backoff,
    Budget budget,
    Boolean retryNonIdempotent,
    ByteSize replayBufferLimit) {

  public RetryPolicy {
    attempts = attempts == null ? 2 : attempts;
    retryOn = retryOn == null || retryOn.isEmpty() ? List.of(RetryOn.values()) : List.copyOf(retryOn);
    statuses = statuses == null ? List.of() : List.copyOf(statuses);
    grpcStatuses = grpcStatuses == null ? List.of() : List.copyOf(grpcStatuses);
    backoff = backoff == null ? Backoff.DEFAULT : backoff;
    budget = budget == null ? Budget.DEFAULT : budget;
    retryNonIdempotent = retryNonIdempotent != null && retryNonIdempotent;
    replayBufferLimit = replayBufferLimit == null ? ByteSize.ofKiB(64) : replayBufferLimit;
  }

  /** The failures a retry policy can retry. */
  public enum RetryOn {
    /** The endpoint could not be connected to (refused, unreachable, connect timeout). */
    CONNECT_FAILURE("connect-failure"),
    /** The endpoint closed or reset the connection before the response head. */
    RESET("reset"),
    /** No response head within the response timeout. */
    TIMEOUT("timeout");

    private final String configName;

    RetryOn(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static RetryOn fromConfigName(String name) {
      for (RetryOn r : values()) {
        if (r.configName.equals(name)) return r;
      }
      throw new IllegalArgumentException("unknown retryOn '" + name + "', expected one of "
          + Arrays.stream(values()).map(RetryOn::configName).toList());
    }
  }

  /**
   * The gRPC status codes a call can be retried on, named as Envoy's {@code retry_on} names them:
   * the transient ones. A code arrives in the trailers-only answer (the status in the response
   * head, no message sent), the only answer that can still be dropped.
   */
  public enum GrpcCode {
    CANCELLED("cancelled", 1),
    DEADLINE_EXCEEDED("deadline-exceeded", 4),
    RESOURCE_EXHAUSTED("resource-exhausted", 8),
    INTERNAL("internal", 13),
    UNAVAILABLE("unavailable", 14);

    private final String configName;
    private final int code;

    GrpcCode(String configName, int code) {
      this.configName = configName;
      this.code = code;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    /** The numeric code, as in {@code grpc-status}. */
    public int code() {
      return code;
    }

    @JsonCreator
    public static GrpcCode fromConfigName(String name) {
      for (GrpcCode c : values()) {
        if (c.configName.equals(name)) return c;
      }
      throw new IllegalArgumentException("unknown grpcStatuses code '" + name + "', expected one of "
          + Arrays.stream(values()).map(GrpcCode::configName).toList());
    }
  }

  /**
   * Exponential backoff with jitter: before retry {@code n} (1-based) the wait is
   * {@code base * 2^(n-1)}, capped at {@code max}, then spread at random by {@code ±jitter} of itself.
   *
   * @param base the wait before the first retry (default 25ms)
   * @param max the longest wait (default 250ms)
   * @param jitter 0 (none) to below 1 (default 0.5)
   */
  public record Backoff(Duration base, Duration max, Double jitter) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Backoff DEFAULT = new Backoff(null, null, null);

    public Backoff {
      base = base == null ? Duration.ofMillis(25) : base;
      max = max == null ? Duration.ofMillis(250) : max;
      jitter = jitter == null ? 0.5 : jitter;
    }
  }

  /**
   * Envoy's retry budget: retries in progress on an upstream may be at most {@code percent} of
   * its requests in progress, or {@code minConcurrency}, whichever is more. Beyond it the failure
   * goes to the client as it is.
   *
   * @param percent 0 to 100 (default 20)
   * @param minConcurrency retries always allowed at once (default 3)
   */
  public record Budget(Integer percent, Integer minConcurrency) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Budget DEFAULT = new Budget(null, null);

    public Budget {
      percent = percent == null ? 20 : percent;
      minConcurrency = minConcurrency == null ? 3 : minConcurrency;
    }
  }
}
