package io.sluice.api.route;

/**
 * A route's tracing settings; the rest comes from its listener's {@code tracing}.
 *
 * @param samplingRatio overrides the listener's sampling ratio for this route, 0 to 1; required
 */
public record RouteTracing(Double samplingRatio) {}
