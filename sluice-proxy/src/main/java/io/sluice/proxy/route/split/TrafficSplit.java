package io.sluice.proxy.route.split;

import io.sluice.api.route.CanaryRule;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.route.WeightedUpstream;
import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.route.internal.KeyCondition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Where a route sends one request: its canary rules, tried in order (the first whose conditions
 * all hold wins), then its destination: the single {@code upstream}, or one of the weighted
 * {@code upstreams} drawn at random in proportion to weight.
 *
 * <p>Compiled once when the configuration is applied. A pick reads the request's headers, cookies
 * or query only as far as the canary rules ask, draws one random number for a weighted split
 * (none for a single upstream) and allocates nothing (except what a regex condition needs).
 * Immutable and thread-safe.
 *
 * @param <T> the compiled form of an upstream (the proxy's upstream runtime)
 */
public final class TrafficSplit<T> {
  private final Rule<T>[] rules;
  private final Object[] targets;
  /** {@code ends[i]}: the sum of the weights of targets 0..i; a draw in {@code [0, total)} picks the first end above it. */
  private final int[] ends;
  private final int total;

  private TrafficSplit(Rule<T>[] rules, Object[] targets, int[] ends) {
    this.rules = rules;
    this.targets = targets;
    this.ends = ends;
    this.total = ends.length == 0 ? 0 : ends[ends.length - 1];
  }

  /**
   * Compiles the destination of a validated route.
   *
   * @param resolve the compiled upstream of a name; must not return null for a name the route uses
   * @throws IllegalArgumentException naming the route when the spec has no upstream destination, a
   *     weight is negative or they add up to 0, or a canary condition is malformed
   */
  @SuppressWarnings("unchecked")
  public static <T> TrafficSplit<T> compile(String route, RouteSpec spec, Function<String, T> resolve) {
    List<Rule<T>> rules = new ArrayList<>();
    for (CanaryRule c : spec.canary()) {
      List<KeyCondition> headers = new ArrayList<>();
      List<KeyCondition> queries = new ArrayList<>();
      List<CookieCondition> cookies = new ArrayList<>();
      if (c.when().header() != null) headers.add(KeyCondition.header(route, c.when().header()));
      if (c.when().query() != null) queries.add(KeyCondition.query(route, c.when().query()));
      if (c.when().cookie() != null) cookies.add(CookieCondition.compile(route, c.when().cookie()));
      rules.add(new Rule<>(headers.toArray(KeyCondition[]::new), queries.toArray(KeyCondition[]::new),
          cookies.toArray(CookieCondition[]::new), resolved(route, c.upstream(), resolve)));
    }
    List<Object> targets = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    if (spec.upstream() != null) {
      targets.add(resolved(route, spec.upstream(), resolve));
      weights.add(1);
    } else {
      for (WeightedUpstream w : spec.upstreams()) {
        if (w.weight() < 0) throw new IllegalArgumentException("route '" + route + "': negative weight for " + w.name());
        if (w.weight() == 0) continue;
        targets.add(resolved(route, w.name(), resolve));
        weights.add(w.weight());
      }
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("route '" + route + "': no upstream, or weights that add up to 0");
    }
    int[] ends = new int[weights.size()];
    int sum = 0;
    for (int i = 0; i < ends.length; i++) {
      sum = Math.addExact(sum, weights.get(i));
      ends[i] = sum;
    }
    return new TrafficSplit<>(rules.toArray(Rule[]::new), targets.toArray(), ends);
  }

  private static <T> T resolved(String route, String name, Function<String, T> resolve) {
    return Objects.requireNonNull(resolve.apply(name), () -> "route '" + route + "': upstream '" + name + "' is not compiled");
  }

  /** The upstream for {@code request}. */
  @SuppressWarnings("unchecked")
  public T pick(RequestView request) {
    for (Rule<T> r : rules) {
      if (r.test(request)) return r.target;
    }
    if (targets.length == 1) return (T) targets[0];
    int point = ThreadLocalRandom.current().nextInt(total);
    int i = 0;
    // A handful of destinations: a linear scan beats a binary search.
    while (ends[i] <= point) i++;
    return (T) targets[i];
  }

  private record Rule<T>(KeyCondition[] headers, KeyCondition[] queries, CookieCondition[] cookies, T target) {
    boolean test(RequestView request) {
      for (KeyCondition h : headers) {
        if (!h.testHeader(request)) return false;
      }
      for (KeyCondition q : queries) {
        if (!q.testQuery(request.query())) return false;
      }
      for (CookieCondition c : cookies) {
        if (!c.test(request)) return false;
      }
      return true;
    }
  }

  @Override
  public String toString() {
    return "TrafficSplit[rules=" + rules.length + ", targets=" + targets.length + ", total=" + total + "]";
  }
}
