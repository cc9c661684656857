package io.sluice.proxy.websocket;

import io.sluice.proxy.websocket.internal.Tunnel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiPredicate;

/**
 * The data plane's open WebSocket tunnels: opens them after an upstream's 101, counts them for the
 * metrics, and drains them when their route or listener goes away or the gateway shuts down.
 *
 * <p>Threading: {@link #open} on the tunnel's event loop; everything else from any thread. Opening
 * and ending a tunnel (not per byte) touch a concurrent set and an adder.
 */
public final class WebSocketTunnels {
  /** How long the gateway waits for the sides' close frames after sending its 1001 (see {@link Tunnel}). */
  public static final Duration CLOSE_WAIT = Tunnel.CLOSE_WAIT;

  private final Set<Tunnel> open = ConcurrentHashMap.newKeySet();
  private final LongAdder[] closed = new LongAdder[CloseCause.values().length];

  public WebSocketTunnels() {
    for (int i = 0; i < closed.length; i++) closed[i] = new LongAdder();
  }

  /** Told once, on the tunnel's event loop, when a tunnel ends: who closed it and the bytes each side sent. */
  @FunctionalInterface
  public interface Observer {
    void closed(CloseCause by, long fromClient, long fromUpstream);
  }

  /**
   * Joins the client's and the upstream's connections into a tunnel, after the 101 went to the
   * client. Call on the connections' event loop.
   *
   * @param listener the listener the client connection came in on
   * @param route the route that took the handshake
   * @param grace how long the tunnel stays open once drained (its listener's drain timeout)
   */
  public void open(String listener, String route, TunnelSettings settings, Duration grace, TunnelSide client,
      TunnelSide upstream, Observer observer) {
    Tunnel.open(listener, route, settings, grace, client, upstream, (t, by, fromClient, fromUpstream) -> {
      open.remove(t);
      closed[by.ordinal()].increment();
      observer.closed(by, fromClient, fromUpstream);
    }).register(open);
  }

  /** Tunnels open now. */
  public int openCount() {
    return open.size();
  }

  /** Tunnels ended so far by {@code cause}. */
  public long closedCount(CloseCause cause) {
    return closed[cause.ordinal()].sum();
  }

  /**
   * A configuration was applied: tunnels whose listener and route {@code stillServed} no longer
   * allows (the route or listener is gone, or the route turned WebSocket off) are drained.
   */
  public void configChanged(BiPredicate<String, String> stillServed) {
    for (Tunnel t : open) {
      if (!stillServed.test(t.listener(), t.route())) t.drain();
    }
  }

  /** The listener is removed or the gateway shuts down: its tunnels are drained. */
  public void drain(String listener) {
    for (Tunnel t : open) {
      if (t.listener().equals(listener)) t.drain();
    }
  }
}
