package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.Arrays;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * {@code ring-hash}: a Ketama-style consistent hash ring. Each endpoint owns {@value
 * #POINTS_PER_WEIGHT} points per unit of weight, the i-th at {@code xxHash64(address, seed i)}; a
 * key goes to the first point at or after its own hash, wrapping around. Adding an endpoint
 * therefore moves only keys to the new endpoint, and removing one moves only its own keys, as long
 * as the ring stays under {@value #MAX_POINTS} points (past that every endpoint's point count is
 * scaled down to fit, and a change of total weight rescales them all).
 *
 * <p>A key whose point belongs to an unavailable endpoint goes on to the next point of an available
 * one. A request without a key goes round-robin. Not thread-safe: one event loop per instance.
 */
final class RingHashBalancer implements Balancer {
  static final int POINTS_PER_WEIGHT = 100;
  /** Bounds memory (12 bytes a point, per event loop) when weights run into the hundreds. */
  static final int MAX_POINTS = 1 << 17;

  private final Endpoint[] endpoints;
  private final HashKey key;
  private final RoundRobinBalancer keyless;
  /** Point hashes in ascending (signed) order; {@code owners[i]} owns {@code ring[i]}. */
  private final long[] ring;
  private final Endpoint[] owners;

  /** @param endpoints not empty; kept, not copied */
  RingHashBalancer(Endpoint[] endpoints, HashKey key) {
    this.endpoints = endpoints;
    this.key = key;
    this.keyless = new RoundRobinBalancer(endpoints);

    long totalWeight = 0;
    for (Endpoint e : endpoints) {
      totalWeight += e.weight();
    }
    double pointsPerWeight = Math.min(POINTS_PER_WEIGHT, (double) MAX_POINTS / totalWeight);
    Endpoint[] byAddress = endpoints.clone();
    Arrays.sort(byAddress, Comparator.comparing(Endpoint::address));
    int size = 0;
    for (Endpoint e : byAddress) {
      size += pointCount(e, pointsPerWeight);
    }
    long[] hashes = new long[size];
    int p = 0;
    for (Endpoint e : byAddress) {
      for (int i = 0, n = pointCount(e, pointsPerWeight); i < n; i++) {
        hashes[p++] = XxHash64.hash(e.address(), i);
      }
    }
    ring = hashes.clone();
    Arrays.sort(ring);
    owners = new Endpoint[size];
    p = 0;
    for (Endpoint e : byAddress) {
      for (int i = 0, n = pointCount(e, pointsPerWeight); i < n; i++) {
        long hash = hashes[p++];
        int at = Arrays.binarySearch(ring, hash);
        // Equal hashes (all but impossible) are handed out in address order, never overwritten.
        while (at > 0 && ring[at - 1] == hash) {
          at--;
        }
        while (owners[at] != null) {
          at++;
        }
        owners[at] = e;
      }
    }
  }

  private static int pointCount(Endpoint e, double pointsPerWeight) {
    return (int) Math.max(1, Math.round(e.weight() * pointsPerWeight));
  }

  @Override
  public @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude) {
    String k = key.of(request);
    if (k == null) {
      return keyless.next(exclude);
    }
    int i = Arrays.binarySearch(ring, XxHash64.hash(k));
    if (i < 0) {
      i = -i - 1;
      if (i == ring.length) {
        i = 0;
      }
    }
    Endpoint e = owners[i];
    return Balancers.usable(e, exclude) ? e : nextAvailable(i, exclude);
  }

  private @Nullable Endpoint nextAvailable(int from, @Nullable EndpointFilter exclude) {
    // Checked first: an all-down upstream then costs one pass over the endpoints, not the ring.
    if (!anyAvailable(exclude)) {
      return null;
    }
    for (int step = 1; step < ring.length; step++) {
      int i = from + step;
      Endpoint e = owners[i < ring.length ? i : i - ring.length];
      if (Balancers.usable(e, exclude)) {
        return e;
      }
    }
    return null;
  }

  private boolean anyAvailable(@Nullable EndpointFilter exclude) {
    for (Endpoint e : endpoints) {
      if (Balancers.usable(e, exclude)) {
        return true;
      }
    }
    return false;
  }
}
