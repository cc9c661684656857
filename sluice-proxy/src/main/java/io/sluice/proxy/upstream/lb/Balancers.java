package io.sluice.proxy.upstream.lb;

import io.sluice.api.upstream.LoadBalancer;
import io.sluice.api.upstream.LoadBalancer.HashOn;
import io.sluice.api.upstream.LoadBalancer.Policy;
import io.sluice.proxy.upstream.Endpoint;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Creates the {@link Balancer} for an upstream's {@link LoadBalancer} settings.
 *
 * <ul>
 *   <li>{@code round-robin}: each endpoint in turn, weights ignored. Each instance starts at a
 *       random endpoint, so event loops do not all send their first request to the same one.
 *   <li>{@code weighted-round-robin}: nginx's smooth weighted round-robin; weights 5, 1, 1 give
 *       {@code a a b a c a a}, repeated.
 *   <li>{@code random}: a random endpoint, with probability proportional to its weight.
 *   <li>{@code least-request}: power of two choices (Envoy): of two distinct endpoints drawn in
 *       proportion to weight, the one with fewer {@linkplain Endpoint#activeRequests() requests
 *       in flight} per unit of weight, counting the request being placed: {@code (active + 1) /
 *       weight}.
 *   <li>{@code ip-hash}: Maglev consistent hash of the client IP.
 *   <li>{@code header-hash}: Maglev consistent hash of the {@code hashHeader} header.
 *   <li>{@code ring-hash}: Ketama-style hash ring over {@code hashOn}; an endpoint has 100
 *       points per unit of weight (scaled down when the ring would exceed {@value
 *       RingHashBalancer#MAX_POINTS} points).
 *   <li>{@code maglev}: Maglev lookup table of {@value MaglevBalancer#TABLE_SIZE} slots over
 *       {@code hashOn}, filled in proportion to weight.
 * </ul>
 *
 * <p>Every policy skips endpoints that are not {@linkplain Endpoint#isAvailable() available} and
 * returns null when none is. The hashing policies then send a key whose endpoint is unavailable
 * to the next available ring point or table slot, so only that endpoint's keys move, and they move
 * back when it returns. They hash with xxHash64 of UTF-8 text, and place endpoints by hashing
 * {@link Endpoint#address()} in address order, so two gateway nodes (or one node after a restart)
 * given the same endpoints in any order map every key to the same endpoint.
 *
 * <p>A hashing policy whose key is a header ({@code header-hash}, or {@code hashOn: header})
 * sends a request without that header round-robin among the available endpoints: there is nothing
 * to be sticky to, and spreading such requests beats pinning them all to one endpoint.
 *
 * <p>Threading: {@link #create} may be called from any thread; the balancer it returns belongs to
 * one event loop (see {@link Balancer}). {@code create} builds hash tables eagerly: for {@code
 * maglev}, {@code ip-hash} and {@code header-hash} a 65537-slot table, for {@code ring-hash} up to
 * {@value RingHashBalancer#MAX_POINTS} sorted points; that takes milliseconds, so call it off the
 * event loop when the upstream is applied rather than on a first request.
 */
public final class Balancers {
  private static final Balancer NONE = (request, exclude) -> null;

  private Balancers() {}

  /**
   * Returns a new balancer over {@code endpoints}. It keeps the endpoints, not the list (later
   * changes to the list do not reach it), reads their availability and load on every pick and never
   * changes them. With no endpoints, every pick returns null.
   *
   * @throws IllegalArgumentException when the policy hashes a header and {@code hashHeader} is
   *     missing or blank
   */
  public static Balancer create(LoadBalancer spec, List<Endpoint> endpoints) {
    Endpoint[] array = List.copyOf(endpoints).toArray(Endpoint[]::new);
    if (array.length == 0) {
      return NONE;
    }
    return switch (spec.policy()) {
      case ROUND_ROBIN -> new RoundRobinBalancer(array);
      case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobinBalancer(array);
      case RANDOM -> new RandomBalancer(array);
      case LEAST_REQUEST -> new LeastRequestBalancer(array);
      case IP_HASH -> new MaglevBalancer(array, HashKey.CLIENT_IP);
      case HEADER_HASH -> new MaglevBalancer(array, HashKey.header(headerName(spec)));
      case RING_HASH -> new RingHashBalancer(array, hashKey(spec));
      case MAGLEV -> new MaglevBalancer(array, hashKey(spec));
    };
  }

  /** Whether a pick may return {@code e}: it is in rotation and not excluded. */
  static boolean usable(Endpoint e, @Nullable EndpointFilter exclude) {
    return e.isAvailable() && (exclude == null || !exclude.excludes(e));
  }

  private static HashKey hashKey(LoadBalancer spec) {
    return switch (spec.hashOn()) {
      case CLIENT_IP -> HashKey.CLIENT_IP;
      case PATH -> HashKey.PATH;
      case HEADER -> HashKey.header(headerName(spec));
    };
  }

  private static String headerName(LoadBalancer spec) {
    String name = spec.hashHeader();
    if (name == null || name.isBlank()) {
      String needs = spec.policy() == Policy.HEADER_HASH
          ? "policy " + Policy.HEADER_HASH.configName()
          : "hashOn: " + HashOn.HEADER.configName();
      throw new IllegalArgumentException("loadBalancer.hashHeader is required with " + needs);
    }
    return name.strip().toLowerCase(Locale.ROOT);
  }
}
