package io.sluice.proxy.internal;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.route.RouteSpec;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What changed from one configuration to the next, as the data plane sees it: whether any object
 * other than a Route changed, and which Routes were added, changed or removed. With thousands of
 * routes a change usually touches one route and nothing else; {@link RuntimeSnapshot} then
 * recompiles that route alone.
 *
 * <p>Computed by one walk over both sets' name-sorted lists. Objects the store did not touch are the
 * same instances in both sets (see {@link ConfigSet#with}), so the walk mostly compares references;
 * other objects are compared by value.
 *
 * @param othersChanged whether a Listener, Upstream, Consumer, Pipeline or GlobalFilter was added,
 *     removed or changed in any way
 * @param changed the routes added or whose spec changed, in name order
 * @param removed the routes no longer there, in name order
 * @param previousIndex for each route of the new set (by position in {@link ConfigSet#routes()}),
 *     the position of the same, unchanged route in the old set, or -1 when it is added or changed
 */
record ConfigDiff(boolean othersChanged, List<Changed> changed, List<ConfigObject<RouteSpec>> removed,
    int[] previousIndex) {

  /**
   * A route added or changed.
   *
   * @param index its position in the new set's {@link ConfigSet#routes()}
   * @param before its previous version, or null when it is new
   * @param after its new version
   */
  record Changed(int index, @Nullable ConfigObject<RouteSpec> before, ConfigObject<RouteSpec> after) {}

  static ConfigDiff between(ConfigSet before, ConfigSet after) {
    boolean others = !same(before.listeners(), after.listeners())
        || !same(before.secrets(), after.secrets())
        || !same(before.upstreams(), after.upstreams())
        || !same(before.consumers(), after.consumers())
        || !same(before.pipelines(), after.pipelines())
        || !same(before.globalFilters(), after.globalFilters())
        || !same(before.plugins(), after.plugins());
    // Arrays: ten thousand element reads through the sets' list views cost more than one copy each.
    ConfigObject<?>[] a = before.routes().toArray(ConfigObject<?>[]::new);
    ConfigObject<?>[] b = after.routes().toArray(ConfigObject<?>[]::new);
    int[] previousIndex = new int[b.length];
    List<Changed> changed = new ArrayList<>();
    List<ConfigObject<RouteSpec>> removed = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (j < b.length) {
      ConfigObject<RouteSpec> y = route(b[j]);
      ConfigObject<RouteSpec> x = i < a.length ? route(a[i]) : null;
      // Same instance: the common case, decided without comparing names.
      int order = x == null ? 1 : x == y ? 0 : x.name().compareTo(y.name());
      if (order < 0) {
        removed.add(x);
        i++;
      } else if (order > 0) {
        previousIndex[j] = -1;
        changed.add(new Changed(j, null, y));
        j++;
      } else {
        if (x == y || x.spec().equals(y.spec())) {
          previousIndex[j] = i;
        } else {
          previousIndex[j] = -1;
          changed.add(new Changed(j, x, y));
        }
        i++;
        j++;
      }
    }
    while (i < a.length) removed.add(route(a[i++]));
    return new ConfigDiff(others, List.copyOf(changed), List.copyOf(removed), previousIndex);
  }

  /** Whether the configuration's routes are all that changed (or nothing did). */
  boolean routesOnly() {
    return !othersChanged;
  }

  // ConfigSet.routes() holds only Routes.
  @SuppressWarnings("unchecked")
  private static ConfigObject<RouteSpec> route(ConfigObject<?> o) {
    return (ConfigObject<RouteSpec>) o;
  }

  /** Lists of one kind with the same objects: names, specs and metadata (filters may read any of it). */
  private static boolean same(List<? extends ConfigObject<?>> a, List<? extends ConfigObject<?>> b) {
    if (a.size() != b.size()) return false;
    for (int k = 0; k < a.size(); k++) {
      ConfigObject<?> x = a.get(k);
      ConfigObject<?> y = b.get(k);
      if (x != y && !(x.name().equals(y.name()) && x.spec().equals(y.spec()) && x.metadata().equals(y.metadata()))) {
        return false;
      }
    }
    return true;
  }
}
