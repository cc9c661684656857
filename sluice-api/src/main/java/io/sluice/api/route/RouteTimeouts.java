package io.sluice.api.route;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A route's own timeouts.
 *
 * <pre>{@code
 * timeouts: {request: 10s, upstreamResponse: 2s}
 * }</pre>
 *
 * @param request from the moment the whole request has been received until the response head
 *     arrives, across every attempt and backoff; beyond it 504 {@code upstream_request_timeout}.
 *     No limit when left out.
 * @param upstreamResponse replaces the upstream's {@code timeouts.response} for this route: the
 *     wait for each attempt's response head once its request was sent
 */
public record RouteTimeouts(@Nullable Duration request, @Nullable Duration upstreamResponse) {}
