package io.sluice.proxy.upstream.breaker;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.IllegalStateTransitionException;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.api.upstream.BreakerSettings;
import io.sluice.proxy.upstream.Endpoint;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A circuit breaker of an upstream or of one endpoint: resilience4j's state machine (closed, open,
 * half-open) over a lock-free sliding window, fed with the outcome of every attempt.
 *
 * <p>An upstream's breaker is asked before each attempt ({@link #tryAcquire}); while it refuses,
 * the request is answered 503 {@code circuit_open}. An endpoint's breaker also takes its endpoint
 * out of rotation ({@link Endpoint#BREAKER}) when it opens, and puts it back after
 * {@code waitInOpen}, half-open: the next picks then probe it with up to {@code halfOpenCalls}
 * calls, and their outcome closes the breaker or opens it again. (resilience4j moves from open to
 * half-open only when asked for a permission; an endpoint out of rotation is never asked, so the
 * move is made here, on an event loop, instead of on resilience4j's scheduler thread.)
 *
 * <p>Cost per call: {@code tryAcquirePermission}, {@code onSuccess}/{@code onError} on atomics; no
 * event consumers are registered, so resilience4j builds no event objects. Threading: all methods
 * may be called from any event loop at once.
 */
public final class Breaker {
  /** What {@code onError} is told; one shared instance without a stack trace. */
  private static final RuntimeException CALL_FAILED = new CallFailed();

  private final CircuitBreaker breaker;
  private final BreakerSettings settings;
  private final @Nullable Endpoint endpoint;
  private final long waitInOpenNanos;

  private Breaker(String name, BreakerSettings settings, @Nullable Endpoint endpoint) {
    this.settings = settings;
    this.endpoint = endpoint;
    this.waitInOpenNanos = settings.waitInOpen().toNanos();
    BreakerSettings.SlidingWindow w = settings.slidingWindow();
    CircuitBreakerConfig config = CircuitBreakerConfig.custom()
        .failureRateThreshold(settings.failureRateThreshold())
        .slowCallRateThreshold(settings.slowCallRateThreshold())
        .slowCallDurationThreshold(settings.slowCallDuration())
        .slidingWindow(w.size(), settings.minimumCalls(),
            w.type() == BreakerSettings.SlidingWindow.Type.TIME ? SlidingWindowType.TIME_BASED : SlidingWindowType.COUNT_BASED,
            SlidingWindowSynchronizationStrategy.LOCK_FREE)
        .waitDurationInOpenState(settings.waitInOpen())
        .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
        .writableStackTraceEnabled(false)
        .build();
    this.breaker = CircuitBreaker.of(name, config);
  }

  /** The breaker of a whole upstream. */
  public static Breaker forUpstream(String upstream, BreakerSettings settings) {
    return new Breaker(upstream, settings, null);
  }

  /** The breaker of one endpoint; it takes {@code endpoint} out of rotation while open. */
  public static Breaker forEndpoint(String upstream, Endpoint endpoint, BreakerSettings settings) {
    return new Breaker(upstream + "/" + endpoint.address(), settings, endpoint);
  }

  /**
   * Asks for a call. True when the breaker is closed, or half-open with a probe to spare; each true
   * must be followed by exactly one {@link #record} or {@link #release}.
   */
  public boolean tryAcquire() {
    return breaker.tryAcquirePermission();
  }

  /** Gives back a permission whose call was abandoned before it had an outcome (the client left). */
  public void release() {
    breaker.releasePermission();
  }

  /**
   * Records the outcome of a permitted call.
   *
   * @param nanos how long the call took to its response head (or to its failure)
   * @param status the response status, or 0 for a gateway failure (connect failure, reset, timeout)
   * @param loop the calling event loop, which schedules the half-open probe when an endpoint's breaker opens
   */
  public void record(long nanos, int status, EventExecutor loop) {
    if (status == 0 || settings.isFailure(status)) {
      breaker.onError(nanos, TimeUnit.NANOSECONDS, CALL_FAILED);
    } else {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }
    Endpoint e = endpoint;
    if (e != null && breaker.getState() == CircuitBreaker.State.OPEN && e.takeOut(Endpoint.BREAKER)) {
      loop.schedule(this::halfOpen, waitInOpenNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void halfOpen() {
    try {
      if (breaker.getState() == CircuitBreaker.State.OPEN) breaker.transitionToHalfOpenState();
    } catch (IllegalStateTransitionException raced) {
      // Another loop moved it on meanwhile; whatever state it is in now lets the endpoint be asked.
    }
    if (endpoint != null) endpoint.bringBack(Endpoint.BREAKER);
  }

  /** The current state: {@code CLOSED}, {@code OPEN} or {@code HALF_OPEN}. */
  public CircuitBreaker.State state() {
    return breaker.getState();
  }

  @Override
  public String toString() {
    return breaker.getName() + "[" + breaker.getState() + "]";
  }

  private static final class CallFailed extends RuntimeException {
    CallFailed() {
      super("upstream call failed", null, false, false);
    }
  }
}
