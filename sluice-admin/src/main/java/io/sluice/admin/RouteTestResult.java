package io.sluice.admin;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the data plane would do with a {@link RouteTestRequest}.
 *
 * @param matched whether a route takes the request; when false every other field is null (and
 *     {@code filters} empty; it is written as null)
 * @param listener the listener that received it
 * @param route the route's name
 * @param upstream the upstream it is proxied to, null for a route that answers itself
 * @param filters the names of the filters it passes through, in order
 * @param path the request target sent upstream (path and query, after rewrites)
 * @param host the Host sent upstream
 */
public record RouteTestResult(
    boolean matched,
    @Nullable String listener,
    @Nullable String route,
    @Nullable String upstream,
    List<String> filters,
    @Nullable String path,
    @Nullable String host) {

  public RouteTestResult {
    filters = List.copyOf(filters);
    if (matched) {
      Objects.requireNonNull(listener, "listener of a matched request");
      Objects.requireNonNull(route, "route of a matched request");
      Objects.requireNonNull(path, "path of a matched request");
      Objects.requireNonNull(host, "host of a matched request");
    } else if (listener != null || route != null || upstream != null || !filters.isEmpty() || path != null || host != null) {
      throw new IllegalArgumentException("a request that matched no route has no listener, route, upstream, filters, path or host");
    }
  }

  /** The result for a request no route takes. */
  public static RouteTestResult noMatch() {
    return new RouteTestResult(false, null, null, null, List.of(), null, null);
  }
}
