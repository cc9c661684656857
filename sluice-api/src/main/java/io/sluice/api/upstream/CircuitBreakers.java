package io.sluice.api.upstream;

import org.jspecify.annotations.Nullable;

/**
 * Circuit breakers of an upstream: one for the upstream as a whole and one per endpoint, each
 * optional.
 *
 * <pre>{@code
 * circuitBreaker:
 *   upstream: {failureRateThreshold: 50, minimumCalls: 20, slidingWindow: {type: count, size: 100}, waitInOpen: 30s}
 *   endpoint: {failureRateThreshold: 50, minimumCalls: 10, waitInOpen: 10s, halfOpenCalls: 3}
 * }</pre>
 *
 * @param upstream while open, requests to the upstream are answered 503 {@code circuit_open}
 *     without touching it
 * @param endpoint while an endpoint's breaker is open, that endpoint is out of rotation
 */
public record CircuitBreakers(@Nullable BreakerSettings upstream, @Nullable BreakerSettings endpoint) {}
