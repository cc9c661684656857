package io.sluice.api.route;

/**
 * One destination of a weighted split: {@code {name: orders-v2, weight: 10}}.
 *
 * @param name the Upstream
 * @param weight its share against the other destinations' weights, 0 to 10000 (default 1); 0 sends
 *     it nothing unless a canary rule names it
 */
public record WeightedUpstream(String name, Integer weight) {
  public WeightedUpstream {
    weight = weight == null ? 1 : weight;
  }

  public static WeightedUpstream of(String name, int weight) {
    return new WeightedUpstream(name, weight);
  }
}
