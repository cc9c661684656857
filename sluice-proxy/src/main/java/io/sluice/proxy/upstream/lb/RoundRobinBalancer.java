package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * {@code round-robin}: each available endpoint in turn, weights ignored. Also the fallback of the
 * hashing balancers for requests without a key. Not thread-safe: one event loop per instance.
 */
final class RoundRobinBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private int next;

  /** @param endpoints not empty; kept, not copied */
  RoundRobinBalancer(Endpoint[] endpoints) {
    this.endpoints = endpoints;
    // Per-loop instances all starting at the first endpoint would each send it their first request.
    this.next = ThreadLocalRandom.current().nextInt(endpoints.length);
  }

  @Override
  public @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude) {
    return next(exclude);
  }

  /** The next available endpoint in turn, or null when none is available. */
  @Nullable Endpoint next(@Nullable EndpointFilter exclude) {
    int n = endpoints.length;
    for (int tried = 0; tried < n; tried++) {
      Endpoint e = endpoints[next];
      next = next + 1 == n ? 0 : next + 1;
      if (Balancers.usable(e, exclude)) {
        return e;
      }
    }
    return null;
  }
}
