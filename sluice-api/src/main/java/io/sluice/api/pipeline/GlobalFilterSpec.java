package io.sluice.api.pipeline;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.filter.FilterSpecs;
import java.util.ArrayList;
import java.util.List;

/**
 * Filters that run for every route of some listeners (Easegress' GlobalFilter, APISIX's global
 * rules). In the request phase {@code before} runs ahead of the route's own filters and
 * {@code after} behind them, just before the upstream; the response phase runs in the reverse order.
 *
 * <pre>{@code
 * spec:
 *   listeners: [public]
 *   before:
 *     - {kind: ip-restriction, name: deny-bad, config: {deny: [203.0.113.0/24]}}
 *   after:
 *     - {kind: header, name: served-by, config: {response: {set: {x-served-by: sluice}}}}
 * }</pre>
 *
 * <p>A route replaces one of these filters by listing a filter with the same {@code name} (its own
 * runs where the route lists it, the global one not at all), or leaves it out with
 * {@code disableGlobal: [name]}.
 *
 * @param listeners the listeners whose routes run these filters; empty means every listener
 * @param before filters run before each route's own
 * @param after filters run after each route's own
 */
public record GlobalFilterSpec(List<String> listeners, List<FilterSpec> before, List<FilterSpec> after) implements Spec {
  public GlobalFilterSpec {
    listeners = listeners == null ? List.of() : List.copyOf(listeners);
    before = before == null ? List.of() : List.copyOf(before);
    after = after == null ? List.of() : List.copyOf(after);
  }

  /** Whether these filters apply to routes served on {@code listener}. */
  public boolean appliesTo(String listener) {
    return listeners.isEmpty() || listeners.contains(listener);
  }

  @Override
  public List<ObjectRef> references() {
    List<ObjectRef> refs = new ArrayList<>();
    for (String l : listeners) refs.add(new ObjectRef(Kind.LISTENER, l));
    refs.addAll(FilterSpecs.references(before));
    refs.addAll(FilterSpecs.references(after));
    return refs;
  }
}
