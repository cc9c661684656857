package io.sluice.proxy.websocket;

/** Who or what ended a WebSocket tunnel: the {@code closed_by} label of the metrics and the access log's reason. */
public enum CloseCause {
  /** The client sent the first close frame, or closed its connection. */
  CLIENT("client", "websocket_client_closed"),
  /** The upstream sent the first close frame, or closed its connection. */
  UPSTREAM("upstream", "websocket_upstream_closed"),
  /** No bytes either way for the route's {@code timeouts.websocketIdle}. */
  IDLE("idle", "websocket_idle_timeout"),
  /** The route's {@code timeouts.websocketLifetime} passed. */
  LIFETIME("lifetime", "websocket_lifetime"),
  /** The route or listener went away in a configuration change, or the gateway shut down: after the grace period. */
  DRAIN("drain", "websocket_drained");

  /** The metrics' {@code closed_by} label value. */
  public final String label;
  /** The access log's and the request metrics' reason code. */
  public final String reason;

  CloseCause(String label, String reason) {
    this.label = label;
    this.reason = reason;
  }
}
