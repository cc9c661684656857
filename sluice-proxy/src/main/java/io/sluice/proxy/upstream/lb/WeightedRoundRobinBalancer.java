package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import org.jspecify.annotations.Nullable;

/**
 * {@code weighted-round-robin}: nginx's smooth weighted round-robin. Each pick adds every available
 * endpoint's weight to its current weight, takes the endpoint with the highest current weight (the
 * first on a tie) and subtracts the total weight from it. Over one cycle of total-weight picks each
 * endpoint is picked exactly weight times, interleaved rather than in bursts: 5, 1, 1 gives
 * {@code a a b a c a a}. Unavailable endpoints take no part, so the others share their turns in
 * proportion. Not thread-safe: one event loop per instance.
 */
final class WeightedRoundRobinBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final long[] current;

  /** @param endpoints not empty; kept, not copied */
  WeightedRoundRobinBalancer(Endpoint[] endpoints) {
    this.endpoints = endpoints;
    this.current = new long[endpoints.length];
  }

  @Override
  public @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude) {
    int best = -1;
    long total = 0;
    for (int i = 0; i < endpoints.length; i++) {
      Endpoint e = endpoints[i];
      if (!Balancers.usable(e, exclude)) {
        continue;
      }
      current[i] += e.weight();
      total += e.weight();
      if (best < 0 || current[i] > current[best]) {
        best = i;
      }
    }
    if (best < 0) {
      return null;
    }
    current[best] -= total;
    return endpoints[best];
  }
}
