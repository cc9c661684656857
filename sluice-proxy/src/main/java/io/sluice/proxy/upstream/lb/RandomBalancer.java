package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * {@code random}: an available endpoint, with probability proportional to its weight. Keeps no
 * state between picks; randomness comes from the calling thread's {@link ThreadLocalRandom}.
 */
final class RandomBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final CumulativeWeights weights;

  /** @param endpoints not empty; kept, not copied */
  RandomBalancer(Endpoint[] endpoints) {
    this.endpoints = endpoints;
    this.weights = new CumulativeWeights(endpoints);
  }

  @Override
  public @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Endpoint e = endpoints[weights.indexOf(random.nextLong(weights.total()))];
    if (Balancers.usable(e, exclude)) {
      return e;
    }
    // Redrawing among the available ones keeps each endpoint's chance at weight / available weight.
    long available = 0;
    for (Endpoint candidate : endpoints) {
      if (Balancers.usable(candidate, exclude)) {
        available += candidate.weight();
      }
    }
    if (available == 0) {
      return null;
    }
    long point = random.nextLong(available);
    // Availability can change under us (health checks run elsewhere): the last available endpoint
    // seen stands in if the point runs past the end.
    @Nullable Endpoint chosen = null;
    for (Endpoint candidate : endpoints) {
      if (Balancers.usable(candidate, exclude)) {
        chosen = candidate;
        point -= candidate.weight();
        if (point < 0) {
          break;
        }
      }
    }
    return chosen;
  }
}
