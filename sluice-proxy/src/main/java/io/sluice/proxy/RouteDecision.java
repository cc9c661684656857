package io.sluice.proxy;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the running gateway would do with a request, as {@link Gateway#explain} works it out: the
 * same compiled route table, the same normalisation and the same rewrites as a real request.
 *
 * @param listener the listener whose routes were consulted: the one asked for, else the first (by
 *     name) whose routes match, else the first listener by name
 * @param route the route that takes the request, or null when none does (the proxy answers 404)
 * @param upstream the upstream the route proxies to; null when no route matches or the route
 *     answers with a direct response
 * @param filters the filters the request would pass through, in order (none exist yet: empty)
 * @param path the request target sent upstream: the path after normalisation and any prefix
 *     rewrite, then the query as received ({@code /v2/orders/7?x=1}); null when no route matches
 * @param host the Host header sent upstream (the route's host rewrite, else the client's Host as
 *     received); null when no route matches
 */
public record RouteDecision(
    String listener,
    @Nullable String route,
    @Nullable String upstream,
    List<String> filters,
    @Nullable String path,
    @Nullable String host) {

  public RouteDecision {
    Objects.requireNonNull(listener, "listener");
    filters = List.copyOf(filters);
  }

  /** True when a route takes the request. */
  public boolean matched() {
    return route != null;
  }
}
