package io.sluice.proxy.internal;

import io.sluice.proxy.upstream.Endpoint;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * State owned by one event loop: the idle upstream connections per endpoint. Only its loop touches
 * it, so it needs no locks.
 */
public final class LoopContext {
  private final Map<Endpoint, ArrayDeque<UpstreamConnection>> idle = new IdentityHashMap<>();
  private final SocketState sockets = new SocketState();
  private final H2UpstreamPool h2 = new H2UpstreamPool();

  /** The loop's HTTP/2 upstream connections. */
  H2UpstreamPool h2() {
    return h2;
  }

  /** Takes an idle connection to {@code endpoint} that is still open and fresh, or returns null. */
  UpstreamConnection pollIdle(Endpoint endpoint, long idleTimeoutNanos, long now) {
    ArrayDeque<UpstreamConnection> q = idle.get(endpoint);
    if (q == null) return null;
    UpstreamConnection c;
    // Most recently used first: it is the least likely to have been closed by the upstream.
    while ((c = q.pollLast()) != null) {
      if (c.isUsable() && now - c.idleSince() < idleTimeoutNanos) {
        return c;
      }
      c.close();
    }
    return null;
  }

  /**
   * Takes an idle connection to {@code endpoint} for a request that must not reach the upstream
   * twice, or returns null (a new connection is then opened). Only a connection used within the
   * last {@link #SAFE_REUSE_NANOS} qualifies (an upstream closes idle connections on its own
   * timer, and a recently used one is far from it), and only one the kernel still has
   * established: the upstream's FIN may have arrived after this loop last read the socket.
   */
  @Nullable UpstreamConnection pollSafe(Endpoint endpoint, long now) {
    ArrayDeque<UpstreamConnection> q = idle.get(endpoint);
    if (q == null) return null;
    UpstreamConnection c;
    while ((c = q.peekLast()) != null) {
      // The rest are older still; they stay for requests that can be retried.
      if (now - c.idleSince() >= Math.min(SAFE_REUSE_NANOS, c.idleTimeoutNanos())) return null;
      q.pollLast();
      if (c.isUsable() && sockets.established(c.channel())) return c;
      c.closeLater();
    }
    return null;
  }

  /** How recently a pooled connection must have been used to carry a request that must not be sent twice. */
  static final long SAFE_REUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The kernel's view of this loop's upstream sockets. */
  SocketState sockets() {
    return sockets;
  }

  void offerIdle(Endpoint endpoint, UpstreamConnection c) {
    idle.computeIfAbsent(endpoint, e -> new ArrayDeque<>()).addLast(c);
  }

  void removeIdle(Endpoint endpoint, UpstreamConnection c) {
    ArrayDeque<UpstreamConnection> q = idle.get(endpoint);
    if (q != null) q.remove(c);
  }

  /** Closes idle connections that have been idle for longer than their pool allows. */
  void sweep(long now) {
    h2.sweep(now);
    for (ArrayDeque<UpstreamConnection> q : idle.values()) {
      UpstreamConnection c;
      while ((c = q.peekFirst()) != null && now - c.idleSince() >= c.idleTimeoutNanos()) {
        q.pollFirst();
        c.close();
      }
    }
  }

  /** Closes every idle connection to an endpoint that is no longer configured. */
  void retire(Endpoint endpoint) {
    h2.retire(endpoint);
    ArrayDeque<UpstreamConnection> q = idle.remove(endpoint);
    if (q != null) {
      for (UpstreamConnection c : q) c.close();
    }
  }
}
