package io.sluice.proxy.internal;

import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.lb.Balancer;
import io.sluice.proxy.upstream.lb.Balancers;
import java.util.List;

/**
 * An Upstream compiled for the data plane: its endpoints, settings in the units the hot path uses,
 * and one {@link Balancer} per event loop, created on first use by that loop.
 */
final class UpstreamRuntime {
  final String name;
  final UpstreamSpec spec;
  final List<Endpoint> endpoints;
  final int connectTimeoutMillis;
  final long responseTimeoutNanos;
  final int maxConnectionsPerEndpoint;
  final long idleTimeoutNanos;
  private final Balancer[] balancers;

  UpstreamRuntime(String name, UpstreamSpec spec, List<Endpoint> endpoints, int loops) {
    this.name = name;
    this.spec = spec;
    this.endpoints = List.copyOf(endpoints);
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, spec.timeouts().connect().toMillis());
    this.responseTimeoutNanos = spec.timeouts().response().toNanos();
    this.maxConnectionsPerEndpoint = spec.pool().maxConnectionsPerEndpoint();
    this.idleTimeoutNanos = spec.pool().idleTimeout().toNanos();
    this.balancers = new Balancer[loops];
  }

  /** The calling loop's balancer; only that loop ever touches its slot. */
  Balancer balancer(LoopThread loop) {
    Balancer b = balancers[loop.index()];
    if (b == null) {
      b = Balancers.create(spec.loadBalancer(), endpoints);
      balancers[loop.index()] = b;
    }
    return b;
  }
}
