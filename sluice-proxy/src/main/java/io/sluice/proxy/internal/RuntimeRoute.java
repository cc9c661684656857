package io.sluice.proxy.internal;

import io.sluice.proxy.filter.internal.FilterChain;
import org.jspecify.annotations.Nullable;

/**
 * A Route compiled for the data plane: where it sends requests and what it changes on the way.
 *
 * @param upstream where to proxy when the route names one {@code upstream}; null for a weighted
 *     split or a direct response (then {@code traffic} picks per request)
 * @param stripPrefix with a prefix rewrite, the matched prefix (normalised, no trailing slash)
 * @param prefixReplacement what replaces {@code stripPrefix}
 * @param hostRewrite the Host header sent upstream instead of the client's
 * @param direct the gateway's own answer instead of proxying
 * @param traffic for a proxying route, its split, colour, retries and timeouts; null exactly when
 *     {@code direct} is set
 * @param filters the route's filter chain on the listener this entry belongs to; null when it has
 *     none, so that a route without filters costs nothing extra per request
 * @param observability the route's meter and tracing settings
 */
record RuntimeRoute(
    String name,
    @Nullable UpstreamRuntime upstream,
    @Nullable String stripPrefix,
    @Nullable String prefixReplacement,
    @Nullable String hostRewrite,
    @Nullable DirectResponder direct,
    @Nullable RouteTraffic traffic,
    @Nullable FilterChain filters,
    RouteObservability observability) {

  /** This route with {@code chain} as its filters. */
  RuntimeRoute withFilters(@Nullable FilterChain chain) {
    return chain == filters ? this
        : new RuntimeRoute(name, upstream, stripPrefix, prefixReplacement, hostRewrite, direct, traffic, chain, observability);
  }

  /** The path sent upstream for a request whose (normalised) path is {@code path}. */
  String rewritePath(String path) {
    String prefix = stripPrefix;
    if (prefix == null || prefixReplacement == null) return path;
    String rest = path.substring(Math.min(prefix.length(), path.length()));
    // "/api" + "/x" with replacement "/" gives "/x", not "//x".
    if (prefixReplacement.endsWith("/") && rest.startsWith("/")) rest = rest.substring(1);
    String out = prefixReplacement + rest;
    return out.isEmpty() ? "/" : out.startsWith("/") ? out : "/" + out;
  }
}
