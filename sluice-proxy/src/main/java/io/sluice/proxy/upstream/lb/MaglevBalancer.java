package io.sluice.proxy.upstream.lb;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.Arrays;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * {@code maglev}, {@code ip-hash} and {@code header-hash}: a Maglev lookup table (Eisenbud et al.,
 * NSDI 2016) of {@value #TABLE_SIZE} slots; a key goes to the endpoint in slot {@code xxHash64(key)
 * mod TABLE_SIZE}. Each endpoint walks its own permutation of the slots ({@code offset + j * skip},
 * both from hashes of its address), and endpoints take turns claiming their next free slot until
 * the table is full; an endpoint takes a turn in proportion to its weight (Envoy's weighted
 * Maglev). Endpoints take turns in address order, so the table does not depend on list order.
 *
 * <p>Against a hash ring this gives a near-exact share of keys per endpoint and one array read per
 * pick, at the cost of slightly more than minimal remapping when the set of endpoints changes.
 *
 * <p>A key whose slot belongs to an unavailable endpoint goes to the next slot of an available
 * one. Neighbouring slots are claimed through unrelated permutations, so the owner of the next slot
 * is in effect a weighted random endpoint: the unavailable endpoint's keys spread over all the
 * others instead of doubling one neighbour's load. A request without a key goes round-robin. Not
 * thread-safe: one event loop per instance.
 */
final class MaglevBalancer implements Balancer {
  /** Prime, as Maglev's permutations need; Envoy's default. */
  static final int TABLE_SIZE = 65537;
  private static final long OFFSET_SEED = 0;
  private static final long SKIP_SEED = 1;

  private final Endpoint[] endpoints;
  private final HashKey key;
  private final RoundRobinBalancer keyless;
  private final Endpoint[] table;

  /** @param endpoints not empty; kept, not copied */
  MaglevBalancer(Endpoint[] endpoints, HashKey key) {
    this.endpoints = endpoints;
    this.key = key;
    this.keyless = new RoundRobinBalancer(endpoints);
    this.table = populate(endpoints);
  }

  private static Endpoint[] populate(Endpoint[] endpoints) {
    Endpoint[] byAddress = endpoints.clone();
    Arrays.sort(byAddress, Comparator.comparing(Endpoint::address));
    int n = byAddress.length;
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    long[] claimedWeight = new long[n];
    int maxWeight = 0;
    for (int i = 0; i < n; i++) {
      String address = byAddress[i].address();
      offset[i] = Long.remainderUnsigned(XxHash64.hash(address, OFFSET_SEED), TABLE_SIZE);
      skip[i] = Long.remainderUnsigned(XxHash64.hash(address, SKIP_SEED), TABLE_SIZE - 1) + 1;
      maxWeight = Math.max(maxWeight, byAddress[i].weight());
    }
    Endpoint[] table = new Endpoint[TABLE_SIZE];
    int filled = 0;
    for (long round = 1; filled < TABLE_SIZE; round++) {
      for (int i = 0; i < n && filled < TABLE_SIZE; i++) {
        // Endpoint i takes weight/maxWeight of the turns: one turn per maxWeight it has "earned".
        if (round * byAddress[i].weight() < claimedWeight[i]) {
          continue;
        }
        claimedWeight[i] += maxWeight;
        int slot;
        do {
          slot = (int) ((offset[i] + skip[i] * next[i]) % TABLE_SIZE);
          next[i]++;
        } while (table[slot] != null);
        table[slot] = byAddress[i];
        filled++;
      }
    }
    return table;
  }

  @Override
  public @Nullable Endpoint pick(RequestView request, @Nullable EndpointFilter exclude) {
    String k = key.of(request);
    if (k == null) {
      return keyless.next(exclude);
    }
    int slot = (int) Long.remainderUnsigned(XxHash64.hash(k), TABLE_SIZE);
    Endpoint e = table[slot];
    return Balancers.usable(e, exclude) ? e : nextAvailable(slot, exclude);
  }

  private @Nullable Endpoint nextAvailable(int from, @Nullable EndpointFilter exclude) {
    // Checked first: an all-down upstream then costs one pass over the endpoints, not the table.
    if (!anyAvailable(exclude)) {
      return null;
    }
    for (int step = 1; step < TABLE_SIZE; step++) {
      int slot = from + step;
      Endpoint e = table[slot < TABLE_SIZE ? slot : slot - TABLE_SIZE];
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
