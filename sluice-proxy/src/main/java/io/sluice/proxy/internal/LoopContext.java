package io.sluice.proxy.internal;

import io.sluice.proxy.upstream.Endpoint;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * State owned by one event loop: the idle upstream connections per endpoint. Only its loop touches
 * it, so it needs no locks.
 */
public final class LoopContext {
  private final Map<Endpoint, ArrayDeque<UpstreamConnection>> idle = new IdentityHashMap<>();

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

  void offerIdle(Endpoint endpoint, UpstreamConnection c) {
    idle.computeIfAbsent(endpoint, e -> new ArrayDeque<>()).addLast(c);
  }

  void removeIdle(Endpoint endpoint, UpstreamConnection c) {
    ArrayDeque<UpstreamConnection> q = idle.get(endpoint);
    if (q != null) q.remove(c);
  }

  /** Closes idle connections that have been idle for longer than their pool allows. */
  void sweep(long now) {
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
    ArrayDeque<UpstreamConnection> q = idle.remove(endpoint);
    if (q != null) {
      for (UpstreamConnection c : q) c.close();
    }
  }
}
