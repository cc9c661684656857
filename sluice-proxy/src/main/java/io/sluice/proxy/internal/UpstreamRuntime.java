package io.sluice.proxy.internal;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.proxy.tls.internal.ClientTls;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.breaker.Breaker;
import io.sluice.proxy.upstream.health.HealthChecker;
import io.sluice.proxy.upstream.health.OutlierDetector;
import io.sluice.proxy.upstream.lb.Balancer;
import io.sluice.proxy.upstream.lb.Balancers;
import io.sluice.proxy.upstream.retry.RetryBudget;
import io.sluice.proxy.upstream.retry.RetryRules;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An Upstream compiled for the data plane: its endpoints, settings in the units the hot path uses,
 * and one {@link Balancer} per event loop. The balancers are built here, at apply time and off the
 * event loops, because a Maglev table or hash ring takes milliseconds to build.
 *
 * <p>Resilience: the upstream's circuit breaker, each endpoint's breaker and outlier tracker
 * ({@link EndpointGuard}), the compiled retry policy and the retry budget. Health checkers and the
 * outlier decay run from {@link #start} to {@link #stop}: the data plane starts a runtime when it
 * becomes part of the running snapshot and stops it when a snapshot without it is swapped in.
 */
final class UpstreamRuntime {
  final String name;
  final UpstreamSpec spec;
  final List<Endpoint> endpoints;
  final int connectTimeoutMillis;
  final long responseTimeoutNanos;
  final int maxConnectionsPerEndpoint;
  final long idleTimeoutNanos;
  /** TLS to the endpoints; null for plain TCP. */
  final @Nullable ClientTls tls;
  /** The endpoints speak HTTP/2 ({@code protocol} h2, h2c or auto): attempts are {@link H2UpstreamStream}s. */
  final boolean http2;
  /** {@code protocol: auto}: an endpoint that chooses HTTP/1.1 by ALPN is spoken to in HTTP/1.1 ({@link H2UpstreamPool#speaksHttp1}). */
  final boolean auto;
  private final Balancer[] balancers;
  /** The upstream's own breaker; null when none is configured. */
  final @Nullable Breaker breaker;
  /** The upstream's retry policy; null when it has none (a route may still have its own). */
  final @Nullable RetryRules retries;
  final RetryBudget retryBudget = new RetryBudget();
  private final @Nullable OutlierDetector outliers;
  private final Map<Endpoint, EndpointGuard> guards;
  private final List<HealthChecker> checkers = new ArrayList<>();
  private boolean started;

  /**
   * Per-endpoint resilience state; null fields are not configured.
   *
   * @param breaker the endpoint's circuit breaker
   * @param outlier the endpoint's outlier tracker
   */
  record EndpointGuard(@Nullable Breaker breaker, OutlierDetector.@Nullable Tracker outlier) {}

  UpstreamRuntime(String name, UpstreamSpec spec, List<Endpoint> endpoints, int loops, @Nullable ClientTls tls) {
    this.name = name;
    this.tls = tls;
    this.spec = spec;
    this.http2 = !spec.protocolOrDefault().equals(UpstreamSpec.HTTP1);
    this.auto = spec.protocolOrDefault().equals(UpstreamSpec.AUTO);
    this.endpoints = List.copyOf(endpoints);
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, spec.timeouts().connect().toMillis());
    this.responseTimeoutNanos = spec.timeouts().response().toNanos();
    this.maxConnectionsPerEndpoint = spec.pool().maxConnectionsPerEndpoint();
    this.idleTimeoutNanos = spec.pool().idleTimeout().toNanos();
    this.balancers = new Balancer[loops];
    for (int i = 0; i < loops; i++) {
      balancers[i] = Balancers.create(spec.loadBalancer(), this.endpoints);
    }
    this.breaker = spec.circuitBreaker() == null || spec.circuitBreaker().upstream() == null
        ? null : Breaker.forUpstream(name, spec.circuitBreaker().upstream());
    this.retries = RetryRules.compile(spec.retries());
    this.outliers = spec.outlierDetection() == null ? null
        : new OutlierDetector(name, spec.outlierDetection(), this.endpoints.size());
    Map<Endpoint, EndpointGuard> g = new IdentityHashMap<>();
    boolean endpointBreakers = spec.circuitBreaker() != null && spec.circuitBreaker().endpoint() != null;
    if (endpointBreakers || outliers != null) {
      for (Endpoint e : this.endpoints) {
        g.put(e, new EndpointGuard(
            endpointBreakers ? Breaker.forEndpoint(name, e, spec.circuitBreaker().endpoint()) : null,
            outliers != null ? outliers.tracker(e) : null));
      }
    }
    this.guards = g;
  }

  /** The calling loop's balancer: each loop has its own, so policies need no synchronisation. */
  Balancer balancer(LoopThread loop) {
    return balancers[loop.index()];
  }

  /** The endpoint's breaker and outlier tracker, or null when neither is configured. */
  @Nullable EndpointGuard guard(Endpoint e) {
    return guards.isEmpty() ? null : guards.get(e);
  }

  /** The upstream's breaker's state for the stats ({@code closed}, {@code open}, {@code half-open}); null without one. */
  @Nullable String breakerState() {
    Breaker b = breaker;
    return b == null ? null : stateName(b);
  }

  /** The endpoint's breaker's state for the stats; null when the upstream has no endpoint breakers. */
  @Nullable String endpointBreakerState(Endpoint e) {
    EndpointGuard g = guard(e);
    Breaker b = g == null ? null : g.breaker();
    return b == null ? null : stateName(b);
  }

  private static String stateName(Breaker b) {
    return b.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /**
   * Feeds one attempt's outcome to the upstream's breaker, the endpoint's breaker and outlier
   * detection. The breakers' permissions must have been acquired by the caller.
   *
   * @param status the response status, or 0 for a gateway failure
   */
  void recordOutcome(@Nullable EndpointGuard g, boolean upstreamPermit, boolean endpointPermit, long nanos, int status,
      EventExecutor loop) {
    Breaker b = breaker;
    if (b != null && upstreamPermit) b.record(nanos, status, loop);
    if (g != null) {
      if (g.breaker() != null && endpointPermit) g.breaker().record(nanos, status, loop);
      if (g.outlier() != null) g.outlier().record(OutlierDetector.outcome(status), loop);
    }
  }

  /**
   * Starts health checks (each endpoint's checker on one loop, spread over the loops) and the
   * outlier decay. Endpoints taken out for a reason this runtime does not check are brought back:
   * the state they carry over from the previous runtime could otherwise never change again.
   */
  synchronized void start(EventLoopGroup loops) {
    if (started) return;
    started = true;
    List<EventLoop> all = new ArrayList<>();
    for (EventExecutor e : loops) all.add((EventLoop) e);
    for (Endpoint e : endpoints) {
      if (spec.healthCheck() == null) e.bringBack(Endpoint.HEALTH_CHECK);
      if (outliers == null) e.bringBack(Endpoint.OUTLIER);
      // This runtime's endpoint breakers start closed, whatever the previous runtime's were.
      e.bringBack(Endpoint.BREAKER);
    }
    if (spec.healthCheck() != null) {
      for (int i = 0; i < endpoints.size(); i++) {
        Endpoint e = endpoints.get(i);
        ClientTls t = tls;
        HealthChecker c = new HealthChecker(name, spec.healthCheck(), e, all.get(i % all.size()),
            Transport.socketChannelClass(), t == null ? null
                : ch -> t.newHandler(ch.alloc(), e.socketAddress().getHostString(), e.socketAddress().getPort()),
            http2);
        checkers.add(c);
        c.start();
      }
    }
    if (outliers != null) outliers.start(all.get(0));
  }

  /** Stops health checks and the outlier decay; endpoints keep their state for the next runtime. */
  synchronized void stop() {
    for (HealthChecker c : checkers) c.stop();
    checkers.clear();
    if (outliers != null) outliers.stop();
  }
}
