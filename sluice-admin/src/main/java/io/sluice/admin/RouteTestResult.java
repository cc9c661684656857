package io.sluice.admin;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the data plane would do with a {@link RouteTestRequest}.
 *
 * @param matched whether a route takes the request; when false route, upstream, path and host are
 *     null and {@code filters} empty (it is written as null)
 * @param listener the listener that received it; null only when no listener serves the request's
 *     address
 * @param route the route's name
 * @param upstream the upstream it is proxied to, null for a route that answers itself
 * @param filters the names of the filters it passes through, in order
 * @param path the request target sent upstream (path and query, after rewrites)
 * @param host the Host sent upstream
 * @param reason why nothing matched, for the operator (no listener on that address, or no route of
 *     the listener); null for a match
 */
public record RouteTestResult(
    boolean matched,
    @Nullable String listener,
    @Nullable String route,
    @Nullable String upstream,
    List<String> filters,
    @Nullable String path,
    @Nullable String host,
    @Nullable String reason) {

  public RouteTestResult {
    filters = List.copyOf(filters);
    if (matched) {
      Objects.requireNonNull(listener, "listener of a matched request");
      Objects.requireNonNull(route, "route of a matched request");
      Objects.requireNonNull(path, "path of a matched request");
      Objects.requireNonNull(host, "host of a matched request");
      if (reason != null) throw new IllegalArgumentException("a matched request has no reason for not matching, got '" + reason + "'");
    } else if (route != null || upstream != null || !filters.isEmpty() || path != null || host != null) {
      throw new IllegalArgumentException("a request that matched no route has no route, upstream, filters, path or host");
    }
  }

  /** A result without a reason (a match, or no match without saying why). */
  public RouteTestResult(boolean matched, @Nullable String listener, @Nullable String route, @Nullable String upstream,
      List<String> filters, @Nullable String path, @Nullable String host) {
    this(matched, listener, route, upstream, filters, path, host, null);
  }

  /** The result for a request no route takes, without saying where or why. */
  public static RouteTestResult noMatch() {
    return new RouteTestResult(false, null, null, null, List.of(), null, null);
  }

  /**
   * The result for a request no route takes.
   *
   * @param listener the listener that received it, or null when none serves its address
   * @param reason why, e.g. {@code no route of listener 'public' matches GET /nowhere}
   */
  public static RouteTestResult noMatch(@Nullable String listener, String reason) {
    return new RouteTestResult(false, listener, null, null, List.of(), null, null, Objects.requireNonNull(reason, "reason"));
  }
}
