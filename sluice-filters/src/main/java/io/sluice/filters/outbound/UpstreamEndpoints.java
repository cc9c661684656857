package io.sluice.filters.outbound;

import io.sluice.api.ConfigObject;
import io.sluice.api.upstream.UpstreamSpec;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The endpoints of an Upstream as an outbound call picks them: at random, in proportion to their
 * weights. Built when a configuration is applied; immutable and thread-safe. Calls through it do not
 * go through the data plane's per-loop pools, balancers or timeouts: the filters that use it bound
 * their calls themselves.
 */
public final class UpstreamEndpoints {
  private final String upstream;
  private final String[] addresses;
  private final int[] cumulative;
  private final UpstreamSpec.Timeouts timeouts;

  private UpstreamEndpoints(String upstream, String[] addresses, int[] cumulative, UpstreamSpec.Timeouts timeouts) {
    this.upstream = upstream;
    this.addresses = addresses;
    this.cumulative = cumulative;
    this.timeouts = timeouts;
  }

  /** The endpoints of {@code upstream}, which has at least one (validation guarantees it). */
  public static UpstreamEndpoints of(ConfigObject<UpstreamSpec> upstream) {
    List<UpstreamSpec.Endpoint> eps = upstream.spec().endpoints();
    if (eps.isEmpty()) throw new IllegalArgumentException("Upstream/" + upstream.name() + " has no endpoints");
    String[] addresses = new String[eps.size()];
    int[] cumulative = new int[eps.size()];
    int sum = 0;
    for (int i = 0; i < eps.size(); i++) {
      addresses[i] = eps.get(i).address();
      sum += Math.max(1, eps.get(i).weight());
      cumulative[i] = sum;
    }
    return new UpstreamEndpoints(upstream.name(), addresses, cumulative, upstream.spec().timeouts());
  }

  /** The Upstream's name. */
  public String name() {
    return upstream;
  }

  /** The Upstream's connect and response timeouts. */
  public UpstreamSpec.Timeouts timeouts() {
    return timeouts;
  }

  /** An endpoint address ({@code host:port}), picked at random by weight. */
  public String pick() {
    if (addresses.length == 1) return addresses[0];
    int r = ThreadLocalRandom.current().nextInt(cumulative[cumulative.length - 1]);
    int i = Arrays.binarySearch(cumulative, r + 1);
    return addresses[i >= 0 ? i : -i - 1];
  }
}
