package io.sluice.proxy.internal;

import io.sluice.proxy.upstream.Endpoint;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One event loop's HTTP/2 upstream connections, per endpoint: a stream goes on the first
 * connection with room ({@link H2UpstreamConnection#hasRoom}), filling one before the next, and a
 * new connection is opened only when all are full, up to the upstream's
 * {@code pool.maxConnectionsPerEndpoint}. Part of the loop's {@link LoopContext}.
 *
 * <p>Threading: its loop only; no locks.
 */
final class H2UpstreamPool {
  private final Map<Endpoint, List<H2UpstreamConnection>> connections = new IdentityHashMap<>();

  /**
   * A connection to {@code endpoint} with room for a stream, or null when a new one is needed and
   * the endpoint's connection limit is reached. A stream retried because its connection failed or
   * went away (GOAWAY) needs no fresh connection of its own, unlike an HTTP/1.1 request that lost
   * the keep-alive race: that connection has no room any more, and the streams it refused share the
   * next one (a new connection each would open one per refused stream, most of them never used).
   */
  @Nullable H2UpstreamConnection acquire(io.netty.channel.EventLoop loop, UpstreamRuntime upstream, Endpoint endpoint,
      UnexpectedErrors unexpected) {
    List<H2UpstreamConnection> list = connections.get(endpoint);
    if (list == null) connections.put(endpoint, list = new ArrayList<>(2));
    for (int i = 0; i < list.size(); i++) {
      H2UpstreamConnection c = list.get(i);
      if (c.hasRoom()) return c;
    }
    if (!endpoint.tryOpenConnection(upstream.maxConnectionsPerEndpoint)) return null;
    H2UpstreamConnection c = H2UpstreamConnection.open(this, loop, upstream, endpoint,
        unexpected);
    list.add(c);
    return c;
  }

  /** Endpoints of {@code protocol: auto} upstreams whose ALPN choice was HTTP/1.1, on this loop. */
  private final java.util.Set<Endpoint> http1 = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

  /** {@code endpoint} (of a {@code protocol: auto} upstream) chose HTTP/1.1 by ALPN: its attempts use HTTP/1.1 connections. */
  void speaksHttp1(Endpoint endpoint) {
    http1.add(endpoint);
  }

  /** Whether {@code endpoint} chose HTTP/1.1 by ALPN ({@code protocol: auto}). */
  boolean speaksHttp1(Endpoint endpoint, boolean auto) {
    return auto && !http1.isEmpty() && http1.contains(endpoint);
  }

  void remove(Endpoint endpoint, H2UpstreamConnection c) {
    List<H2UpstreamConnection> list = connections.get(endpoint);
    if (list != null) list.remove(c);
  }

  /** Closes connections without a stream for longer than their pool's idle timeout. */
  void sweep(long now) {
    for (List<H2UpstreamConnection> list : connections.values()) {
      for (H2UpstreamConnection c : new ArrayList<>(list)) c.closeIfIdle(now);
    }
  }

  /** Closes the connections to an endpoint that is no longer configured, as their streams end. */
  void retire(Endpoint endpoint) {
    http1.remove(endpoint);
    List<H2UpstreamConnection> list = connections.remove(endpoint);
    if (list != null) {
      for (H2UpstreamConnection c : list) c.retire();
    }
  }
}
