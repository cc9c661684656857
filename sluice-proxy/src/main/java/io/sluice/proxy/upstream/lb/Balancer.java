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
   * {@link Endpoint#isAvailable() available}, or null when none is available.
   */
  @Nullable Endpoint pick(RequestView request);
}
