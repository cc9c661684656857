package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import org.jspecify.annotations.Nullable;

/**
 * Picks the endpoint for one request.
 *
 * <p>Threading: an instance belongs to one event loop and is never called concurrently (Envoy's
 * per-worker load balancers), so policies keep plain mutable state. Cross-loop facts (requests in
 * flight) live on {@link Endpoint}. Create instances with {@link Balancers#create}.
 */
public interface Balancer {
  /**
   * Returns the endpoint for {@code request}, skipping endpoints that are not
   * {@link Endpoint#isAvailable() available} and those {@code exclude} excludes, or null when none
   * is left. A policy treats an excluded endpoint exactly as an unavailable one (a hashing policy
   * moves the key to the next endpoint of its ring or table).
   *
   * @param exclude endpoints this pick must not return (a retry's tried endpoints); null for none
   */
  @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude);

  /** {@link #pick(RequestView, EndpointFilter)} without exclusions. */
  default @Nullable Endpoint pick(RequestView request) {
    return pick(request, null);
  }
}
