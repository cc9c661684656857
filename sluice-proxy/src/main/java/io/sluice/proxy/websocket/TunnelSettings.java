package io.sluice.proxy.websocket;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How long a route's WebSocket tunnels may live, compiled once per route at apply time.
 *
 * @param idle a tunnel with no bytes either way for this long is closed (1001 to both sides)
 * @param lifetime a tunnel is closed (1001) this long after its handshake; null for no limit
 */
public record TunnelSettings(Duration idle, @Nullable Duration lifetime) {
  public TunnelSettings {
    if (idle == null || idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("idle must be a duration greater than zero, got " + idle);
    }
    if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
      throw new IllegalArgumentException("lifetime must be a duration greater than zero or null, got " + lifetime);
    }
  }
}
