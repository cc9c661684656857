package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.upstream.Endpoint;

/**
 * Endpoints one pick must not return, on top of those out of rotation: a retry excludes the
 * endpoints it already tried, and endpoints whose circuit breaker refused the call. Implemented
 * by a per-connection object that is reused, so a pick with exclusions allocates nothing.
 */
@FunctionalInterface
public interface EndpointFilter {
  /** True when {@code endpoint} must not be picked. */
  boolean excludes(Endpoint endpoint);
}
