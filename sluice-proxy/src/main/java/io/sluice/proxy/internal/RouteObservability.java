package io.sluice.proxy.internal;

import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.proxy.metrics.internal.Meter;
import org.jspecify.annotations.Nullable;

/**
 * What a route records, compiled at apply time.
 *
 * @param meter the route's counters
 * @param samplingRatio the route's tracing sampling ratio, or NaN for its listener's
 * @param httpRoute the route's path pattern for span names ({@code /users/{id}}, {@code /api/*}), or null
 */
record RouteObservability(Meter meter, double samplingRatio, @Nullable String httpRoute) {

  static RouteObservability compile(RouteSpec spec, Meter meter) {
    double ratio = spec.tracing() == null ? Double.NaN : spec.tracing().samplingRatio();
    PathMatch p = spec.match().path();
    String httpRoute;
    if (p.template() != null) {
      httpRoute = p.template();
    } else if (p.exact() != null) {
      httpRoute = p.exact();
    } else if (p.regex() != null) {
      httpRoute = null;
    } else {
      String prefix = p.prefix() == null ? "/" : p.prefix();
      httpRoute = prefix.endsWith("/") ? prefix + "*" : prefix + "/*";
    }
    return new RouteObservability(meter, ratio, httpRoute);
  }
}
