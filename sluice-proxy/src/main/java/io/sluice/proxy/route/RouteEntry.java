package io.sluice.proxy.route;

import io.sluice.api.route.RouteSpec;
import java.util.Objects;

/**
 * A route as the {@link RouteTable} compiles it: its name, its (validated) spec and what the
 * caller wants back when the route matches.
 *
 * @param <T> the caller's compiled form of the route (the proxy's runtime route)
 */
public record RouteEntry<T>(String name, RouteSpec spec, T target) {
  public RouteEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(target, "target");
  }
}
