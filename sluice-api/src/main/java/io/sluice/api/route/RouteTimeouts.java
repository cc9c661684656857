package io.sluice.api.route;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A route's own timeouts.
 *
 * <pre>{@code
 * timeouts: {request: 10s, upstreamResponse: 2s, websocketIdle: 10m, websocketLifetime: 24h}
 * }</pre>
 *
 * @param request from the moment the whole request has been received until the response head
 *     arrives, across every attempt and backoff; beyond it 504 {@code upstream_request_timeout}.
 *     No limit when left out.
 * @param upstreamResponse replaces the upstream's {@code timeouts.response} for this route: the
 *     wait for each attempt's response head once its request was sent
 * @param websocketIdle a WebSocket tunnel of this route with no bytes either way for this long is
 *     closed (1001 to both sides); {@link #DEFAULT_WEBSOCKET_IDLE} when left out
 * @param websocketLifetime a WebSocket tunnel of this route is closed (1001) this long after its
 *     handshake, whatever its traffic; no limit when left out
 */
public record RouteTimeouts(@Nullable Duration request, @Nullable Duration upstreamResponse,
    @Nullable Duration websocketIdle, @Nullable Duration websocketLifetime) {
  /** The idle timeout of a WebSocket tunnel whose route sets none. */
  public static final Duration DEFAULT_WEBSOCKET_IDLE = Duration.ofMinutes(5);

  /** A route's HTTP timeouts, with the WebSocket ones left out. */
  public RouteTimeouts(@Nullable Duration request, @Nullable Duration upstreamResponse) {
    this(request, upstreamResponse, null, null);
  }

  /** {@link #websocketIdle}, or its default when left out. */
  public Duration websocketIdleOrDefault() {
    return websocketIdle == null ? DEFAULT_WEBSOCKET_IDLE : websocketIdle;
  }
}
