package io.sluice.proxy.internal;

import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.lb.Balancer;
import io.sluice.proxy.upstream.lb.Balancers;
import java.util.List;

/**
 * An Upstream compiled for the data plane: its endpoints, settings in the units the hot path uses,
 * and one {@link Balancer} per event loop. The balancers are built here, at apply time and off the
 * event loops, because a Maglev table or hash ring takes milliseconds to build.
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
    for (int i = 0; i < loops; i++) {
      balancers[i] = Balancers.create(spec.loadBalancer(), this.endpoints);
    }
  }

  /** The calling loop's balancer: each loop has its own, so policies need no synchronisation. */
  Balancer balancer(LoopThread loop) {
    return balancers[loop.index()];
  }
}
