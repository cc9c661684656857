package io.sluice.proxy.internal;

import org.jspecify.annotations.Nullable;

/**
 * A Route compiled for the data plane: where it sends requests and what it changes on the way.
 *
 * @param upstream where to proxy; null exactly when {@code direct} is set
 * @param stripPrefix with a prefix rewrite, the matched prefix (normalised, no trailing slash)
 * @param prefixReplacement what replaces {@code stripPrefix}
 * @param hostRewrite the Host header sent upstream instead of the client's
 * @param direct the gateway's own answer instead of proxying
 * @param observability the route's meter and tracing settings
 */
record RuntimeRoute(
    String name,
    @Nullable UpstreamRuntime upstream,
    @Nullable String stripPrefix,
    @Nullable String prefixReplacement,
    @Nullable String hostRewrite,
    @Nullable DirectResponder direct,
    RouteObservability observability) {

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
