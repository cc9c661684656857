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
  private volatile boolean shuttingDown;
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
    Tunnel t = Tunnel.open(listener, route, settings, grace, client, upstream, (ended, by, fromClient, fromUpstream) -> {
      open.remove(ended);
      closed[by.ordinal()].increment();
      observer.closed(by, fromClient, fromUpstream);
    });
    t.register(open);
    // A tunnel whose 101 was on its way when the gateway began to shut down was not in the set
    // shutDown() drained; registered first and checked second, it cannot be missed by both.
    if (shuttingDown) t.drain();
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

  /**
   * The gateway shuts down: every tunnel open now, and any opened from now on, is drained (closed
   * with 1001 after its listener's drain timeout).
   */
  public void shutDown() {
    shuttingDown = true;
    for (Tunnel t : open) t.drain();
  }

  /** The listener is removed: its tunnels are drained. */
  public void drain(String listener) {
    for (Tunnel t : open) {
      if (t.listener().equals(listener)) t.drain();
    }
  }
}
