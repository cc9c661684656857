package io.sluice.proxy.upstream;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One endpoint of an upstream at run time. Shared by all event loops: its counters are atomic, the
 * rest is immutable.
 */
public final class Endpoint {
  private final String address;
  private final InetSocketAddress socketAddress;
  private final int weight;
  private final AtomicInteger activeRequests = new AtomicInteger();
  private final AtomicInteger openConnections = new AtomicInteger();
  /** The reasons the endpoint is out of rotation, one bit each; 0 when it is available. */
  private final AtomicInteger outOfRotation = new AtomicInteger();

  /** Out of rotation because active health checks failed. */
  public static final int HEALTH_CHECK = 1;
  /** Out of rotation because outlier detection ejected it. */
  public static final int OUTLIER = 2;
  /** Out of rotation because its circuit breaker is open. */
  public static final int BREAKER = 4;
  /** Out of rotation by {@link #setAvailable(boolean)}. */
  public static final int MANUAL = 8;
  /** Set at apply time, before the snapshot that routes here is published (that publication orders it). */
  private io.sluice.proxy.metrics.internal.@org.jspecify.annotations.Nullable Meter meter;

  /**
   * @param address as configured, {@code host:port}; also the identity the hashing policies hash
   * @param socketAddress resolved address to connect to
   * @param weight 1 or more
   */
  public Endpoint(String address, InetSocketAddress socketAddress, int weight) {
    this.address = Objects.requireNonNull(address, "address");
    this.socketAddress = Objects.requireNonNull(socketAddress, "socketAddress");
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, got " + weight + " for " + address);
    }
    this.weight = weight;
  }

  /** Builds an endpoint from {@code host:port} without resolving a literal IP address. */
  public static Endpoint of(String address, int weight) {
    return new Endpoint(address, HostPort.parse(address).toSocketAddress(), weight);
  }

  public String address() {
    return address;
  }

  public InetSocketAddress socketAddress() {
    return socketAddress;
  }

  public int weight() {
    return weight;
  }

  /** Requests in flight to this endpoint from the whole gateway (all event loops). */
  public int activeRequests() {
    return activeRequests.get();
  }

  public void requestStarted() {
    activeRequests.incrementAndGet();
  }

  public void requestEnded() {
    activeRequests.decrementAndGet();
  }

  /**
   * Reserves one of at most {@code max} open connections to this endpoint; false when all are taken.
   * Every successful call is matched by one {@link #connectionClosed()}.
   */
  public boolean tryOpenConnection(int max) {
    while (true) {
      int n = openConnections.get();
      if (n >= max) return false;
      if (openConnections.compareAndSet(n, n + 1)) return true;
    }
  }

  public void connectionClosed() {
    openConnections.decrementAndGet();
  }

  /** Open connections to this endpoint from the whole gateway, idle and busy. */
  public int openConnections() {
    return openConnections.get();
  }

  /**
   * False while anything has taken the endpoint out of rotation (health checks, outlier detection,
   * its circuit breaker); every load balancer on every event loop skips it then. One volatile read.
   */
  public boolean isAvailable() {
    return outOfRotation.get() == 0;
  }

  /** Takes the endpoint out of rotation, or brings it back, for {@link #MANUAL} reasons. */
  public void setAvailable(boolean available) {
    if (available) {
      bringBack(MANUAL);
    } else {
      takeOut(MANUAL);
    }
  }

  /**
   * Takes the endpoint out of rotation for {@code reason} (one of the constants); it stays out
   * until every reason is gone. Returns false when it was already out for that reason.
   */
  public boolean takeOut(int reason) {
    int was = outOfRotation.getAndUpdate(r -> r | reason);
    return (was & reason) == 0;
  }

  /** Withdraws {@code reason}; returns false when the endpoint was not out for it. */
  public boolean bringBack(int reason) {
    int was = outOfRotation.getAndUpdate(r -> r & ~reason);
    return (was & reason) != 0;
  }

  /** Whether the endpoint is out of rotation for {@code reason}. */
  public boolean isOut(int reason) {
    return (outOfRotation.get() & reason) != 0;
  }

  /** The endpoint's meter (internal: the data plane records its upstream attempts there). */
  public io.sluice.proxy.metrics.internal.@org.jspecify.annotations.Nullable Meter meter() {
    return meter;
  }

  /** Internal: set by the data plane when it compiles the upstream. */
  public void meter(io.sluice.proxy.metrics.internal.Meter meter) {
    this.meter = meter;
  }

  @Override
  public String toString() {
    return address;
  }
}
