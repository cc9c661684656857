package io.sluice.proxy.internal;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.route.RouteSpec;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the data plane must skip along with an object it cannot compile: every object that refers
 * to it, directly or through others (a Route whose Upstream or Pipeline is skipped, a filter list
 * that names a skipped Consumer), and the Routes a skipped GlobalFilter would run for. The last
 * one fails closed: a GlobalFilter usually guards (ip-restriction, authentication), and serving its
 * routes without it would open them. Stateless.
 */
final class Dependents {
  private Dependents() {}

  /** {@code failed} and everything in {@code config} that depends on it, {@code failed} first. */
  static Set<ObjectRef> of(ConfigSet config, ObjectRef failed) {
    Set<ObjectRef> out = new LinkedHashSet<>();
    Deque<ObjectRef> todo = new ArrayDeque<>();
    out.add(failed);
    todo.add(failed);
    while (!todo.isEmpty()) {
      ObjectRef gone = todo.poll();
      ConfigObject<?> goneObject = config.get(gone);
      for (ConfigObject<?> o : config.all()) {
        ObjectRef ref = ObjectRef.of(o);
        if (out.contains(ref)) continue;
        if (o.spec().references().contains(gone) || runsFor(goneObject, o)) {
          out.add(ref);
          todo.add(ref);
        }
      }
    }
    return out;
  }

  /** Whether {@code o} is a Route that the GlobalFilter {@code global} runs for on one of its listeners. */
  private static boolean runsFor(ConfigObject<?> global, ConfigObject<?> o) {
    if (global == null || global.kind() != Kind.GLOBAL_FILTER || o.kind() != Kind.ROUTE) return false;
    GlobalFilterSpec g = (GlobalFilterSpec) global.spec();
    RouteSpec r = (RouteSpec) o.spec();
    if (g.listeners().isEmpty() || r.listeners().isEmpty()) return true;
    for (String l : r.listeners()) {
      if (g.appliesTo(l)) return true;
    }
    return false;
  }
}
