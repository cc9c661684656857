package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.upstream.Endpoint;
import java.util.Arrays;

/**
 * Endpoints' weights laid end to end on {@code [0, total)}, for drawing an endpoint in proportion
 * to its weight by drawing a point: endpoint {@code i} owns {@code [start(i), start(i) + weight)}.
 * Immutable.
 */
final class CumulativeWeights {
  /** {@code ends[i]} is the sum of the weights of endpoints 0..i; strictly increasing. */
  private final long[] ends;

  CumulativeWeights(Endpoint[] endpoints) {
    ends = new long[endpoints.length];
    long sum = 0;
    for (int i = 0; i < endpoints.length; i++) {
      sum += endpoints[i].weight();
      ends[i] = sum;
    }
  }

  long total() {
    return ends[ends.length - 1];
  }

  long start(int index) {
    return index == 0 ? 0 : ends[index - 1];
  }

  /** The index of the endpoint that owns {@code point}, which is in {@code [0, total)}. */
  int indexOf(long point) {
    int found = Arrays.binarySearch(ends, point);
    // An exact hit is the end (exclusive) of endpoint found, so the point starts the next one.
    return found >= 0 ? found + 1 : -found - 1;
  }
}
