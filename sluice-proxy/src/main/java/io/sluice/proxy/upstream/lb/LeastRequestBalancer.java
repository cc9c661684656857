package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * {@code least-request}: power of two choices, as Envoy does it. Two distinct endpoints are drawn
 * in proportion to weight and the less loaded one wins, load being {@code (activeRequests + 1) /
 * weight} (Envoy's active-request bias of 1, counting the request being placed): with equal weights
 * that is plain "fewer requests in flight"; with weights, requests in flight settle in proportion
 * to weight. Ties go to the first draw.
 *
 * <p>Two choices rather than the global least: every event loop picks from the same shared counts
 * at once, and all of them sending to the one least-loaded endpoint would herd onto it.
 *
 * <p>If one draw is unavailable the other wins; if both are, the least loaded available endpoint
 * is taken by a scan from a random start (random, so ties do not always favour the same endpoint).
 * Not thread-safe: one event loop per instance.
 */
final class LeastRequestBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final CumulativeWeights weights;

  /** @param endpoints not empty; kept, not copied */
  LeastRequestBalancer(Endpoint[] endpoints) {
    this.endpoints = endpoints;
    this.weights = new CumulativeWeights(endpoints);
  }

  @Override
  public @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude) {
    if (endpoints.length == 1) {
      Endpoint only = endpoints[0];
      return Balancers.usable(only, exclude) ? only : null;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int first = weights.indexOf(random.nextLong(weights.total()));
    // The second draw leaves out the first endpoint's share, so the two are always distinct.
    int firstWeight = endpoints[first].weight();
    long point = random.nextLong(weights.total() - firstWeight);
    if (point >= weights.start(first)) {
      point += firstWeight;
    }
    Endpoint a = endpoints[first];
    Endpoint b = endpoints[weights.indexOf(point)];
    boolean aUp = Balancers.usable(a, exclude);
    boolean bUp = Balancers.usable(b, exclude);
    if (aUp && bUp) {
      return lessLoaded(a, b);
    }
    if (aUp) {
      return a;
    }
    if (bUp) {
      return b;
    }
    return leastLoadedAvailable(random, exclude);
  }

  private @Nullable Endpoint leastLoadedAvailable(ThreadLocalRandom random, @Nullable EndpointFilter exclude) {
    int n = endpoints.length;
    int start = random.nextInt(n);
    @Nullable Endpoint best = null;
    for (int k = 0; k < n; k++) {
      int i = start + k;
      Endpoint e = endpoints[i < n ? i : i - n];
      if (Balancers.usable(e, exclude)) {
        best = best == null ? e : lessLoaded(best, e);
      }
    }
    return best;
  }

  /** {@code a} unless {@code b} carries strictly less load per unit of weight. */
  private static Endpoint lessLoaded(Endpoint a, Endpoint b) {
    long loadA = (a.activeRequests() + 1L) * b.weight();
    long loadB = (b.activeRequests() + 1L) * a.weight();
    return loadB < loadA ? b : a;
  }
}
