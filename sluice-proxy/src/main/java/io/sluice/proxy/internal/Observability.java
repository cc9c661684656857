package io.sluice.proxy.internal;

import io.sluice.filter.FilterMetrics;
import io.sluice.proxy.websocket.CloseCause;
import io.sluice.proxy.websocket.WebSocketTunnels;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.sluice.api.ConfigObject;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.route.RouteSpec;
import io.sluice.proxy.accesslog.internal.AccessLogFormat;
import io.sluice.proxy.accesslog.internal.AccessLogWriter;
import io.sluice.proxy.accesslog.internal.CompiledAccessLog;
import io.sluice.proxy.metrics.GatewayMetrics;
import io.sluice.proxy.metrics.GatewayStats;
import io.sluice.proxy.metrics.MetricsOptions;
import io.sluice.proxy.metrics.internal.FilterMeters;
import io.sluice.proxy.metrics.internal.GaugeRegistry;
import io.sluice.proxy.metrics.internal.JvmMetrics;
import io.sluice.proxy.metrics.internal.Meter;
import io.sluice.proxy.metrics.internal.MeterKind;
import io.sluice.proxy.metrics.internal.MeterRegistry;
import io.sluice.proxy.metrics.internal.MeterWriter;
import io.sluice.proxy.metrics.internal.PrometheusText;
import io.sluice.proxy.metrics.internal.StatsCalculator;
import io.sluice.proxy.tracing.internal.ListenerTracing;
import io.sluice.proxy.tracing.internal.TracerProviders;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.breaker.Breaker;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's observability: the meters the event loops record into, the access log writer,
 * the tracer providers, and what reads them (the Prometheus writer, the stats). Compiles each
 * listener's and route's part at apply time; {@link #committed} then lets go of what the new
 * snapshot no longer uses.
 */
public final class Observability implements GatewayMetrics, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Observability.class);
  /** Label sets per metric family; beyond, the overflow series (see README, Observability). */
  static final int MAX_SERIES = Integer.getInteger("sluice.metrics.maxSeriesPerMetric", 10_000);

  private final DataPlane dataPlane;
  private final MeterRegistry meters;
  private final GaugeRegistry gauges;
  private final FilterMeters filterMeters = new FilterMeters();
  private final JvmMetrics jvm = new JvmMetrics();
  private final AccessLogWriter accessLog = new AccessLogWriter(AccessLogWriter.DEFAULT_CAPACITY).start();
  private final TracerProviders tracers = new TracerProviders();
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-stats").unstarted(r));
  private volatile long configRevision;
  private final AtomicLong applyFailures = new AtomicLong();
  private final UnexpectedErrors unexpected = new UnexpectedErrors();
  private volatile long lastApplyMillis;

  Observability(DataPlane dataPlane, int loops, MetricsOptions options) {
    this.dataPlane = dataPlane;
    this.meters = new MeterRegistry(loops, MAX_SERIES, options);
    this.gauges = new GaugeRegistry(MAX_SERIES);
    gauges.register(BREAKER_STATE, "Circuit breaker state: 1 for the state it is in, 0 for the others (endpoint \"\" is the upstream's own breaker).",
        List.of("upstream", "endpoint", "state"), this::breakerStates);
    sampler.scheduleAtFixedRate(() -> {
      try {
        meters.sampleHistory(System.nanoTime());
      } catch (RuntimeException e) {
        log.warn("stats sampling failed", e);
      }
    }, 5, 5, TimeUnit.SECONDS);
  }

  // ---- compiling, at apply time ----

  /** @param paths the directories of the configuration {@code l} is part of: where its log file is */
  ListenerObservability listener(ConfigObject<ListenerSpec> l, PathPolicy paths) {
    ListenerSpec spec = l.spec();
    CompiledAccessLog compiled = null;
    if (spec.accessLog() != null && spec.accessLog().enabled()) {
      compiled = new CompiledAccessLog(AccessLogFormat.compile(spec.accessLog()), accessLog.sink(spec.accessLog(), paths));
    }
    ListenerTracing t = spec.tracing() == null ? null : ListenerTracing.compile(spec.tracing(), tracers);
    return new ListenerObservability(l.name(), meters.listener(l.name()), compiled, t, accessLog);
  }

  /** The metrics filters define ({@code FilterEnvironment.metrics()}), written with the others. */
  FilterMetrics filterMetrics() {
    return filterMeters;
  }

  RouteObservability route(String name, RouteSpec spec) {
    return RouteObservability.compile(spec, meters.route(name));
  }

  /** Hangs each endpoint's meter on it (endpoints kept across reloads keep theirs). */
  void attach(UpstreamRuntime u) {
    for (Endpoint e : u.endpoints) e.meter(meters.endpoint(u.name, e.address()));
  }

  /**
   * {@code s} is now the snapshot in force, {@code diff} away from the previous one: meters, log
   * outputs and tracer providers it does not use go. When only routes changed, only the removed
   * routes' meters are looked at.
   */
  void committed(RuntimeSnapshot s, ConfigDiff diff) {
    lastApplyMillis = System.currentTimeMillis();
    Set<List<String>> listeners = new HashSet<>();
    Set<String> sinks = new HashSet<>();
    Set<io.opentelemetry.sdk.trace.SdkTracerProvider> providers = new HashSet<>();
    for (ListenerConfig c : s.listeners().values()) {
      listeners.add(List.of(c.name));
      ListenerObservability o = c.observability;
      if (o.accessLog() != null) sinks.add(o.accessLog().sink().key());
      if (o.tracing() != null) providers.add(o.tracing().provider());
    }
    if (diff.routesOnly()) {
      for (ConfigObject<RouteSpec> r : diff.removed()) meters.release(MeterKind.ROUTE, List.of(r.name()));
    } else {
      Set<List<String>> routes = new HashSet<>();
      for (ConfigObject<RouteSpec> r : s.config().routes()) routes.add(List.of(r.name()));
      meters.retain(MeterKind.ROUTE, routes);
    }
    Set<List<String>> endpoints = new HashSet<>();
    for (UpstreamRuntime u : s.upstreams().values()) {
      for (Endpoint e : u.endpoints) endpoints.add(List.of(u.name, e.address()));
    }
    meters.retain(MeterKind.LISTENER, listeners);
    meters.retain(MeterKind.ENDPOINT, endpoints);
    accessLog.retainOnly(sinks);
    tracers.retainOnly(providers);
  }

  /** Where the data plane counts and logs the exceptions it did not expect. */
  UnexpectedErrors unexpectedErrors() {
    return unexpected;
  }

  void applyFailed() {
    applyFailures.incrementAndGet();
  }

  // ---- GatewayMetrics ----

  @Override
  public void setConfigRevision(long revision) {
    configRevision = revision;
  }

  @Override
  public void recordConfigApplyFailure() {
    applyFailures.incrementAndGet();
  }

  @Override
  public AutoCloseable registerGauge(String name, String help, List<String> labelNames, GaugeSource source) {
    return gauges.register(name, help, labelNames, source);
  }

  @Override
  public void writeListenerPrometheus(Appendable out) throws IOException {
    MeterWriter.write(new PrometheusText(out), MeterKind.LISTENER, meters.meters(MeterKind.LISTENER), meters.options());
  }

  @Override
  public void writePrometheus(Appendable out) throws IOException {
    PrometheusText p = new PrometheusText(out);
    RuntimeSnapshot s = dataPlane.snapshot();
    MetricsOptions options = meters.options();
    MeterWriter.write(p, MeterKind.LISTENER, meters.meters(MeterKind.LISTENER), options);
    p.family("sluice_downstream_connections_active", "gauge", "Client connections open now, by listener.");
    for (Map.Entry<String, Integer> e : dataPlane.connectionCounts().entrySet()) {
      p.sample("sluice_downstream_connections_active", List.of("listener"), List.of(e.getKey()), e.getValue());
    }
    MeterWriter.write(p, MeterKind.ROUTE, meters.meters(MeterKind.ROUTE), options);
    MeterWriter.write(p, MeterKind.ENDPOINT, meters.meters(MeterKind.ENDPOINT), options);
    p.family("sluice_metrics_series_dropped_total", "counter",
        "Series the caps kept out: those of listeners, routes and endpoints counted in the overflow series instead.");
    p.sample("sluice_metrics_series_dropped_total", List.of(), List.of(), meters.dropped());
    List<UpstreamRuntime> upstreams = new ArrayList<>(s.upstreams().values());
    upstreams.sort(Comparator.comparing(u -> u.name));
    List<String> ue = List.of("upstream", "endpoint");
    int max = meters.maxSeries();
    p.family("sluice_upstream_connections", "gauge", "Connections open to an endpoint from the whole gateway, idle and busy (the pools' size).");
    forEndpoints(upstreams, max, (u, e) -> p.sample("sluice_upstream_connections", ue, List.of(u.name, e.address()), e.openConnections()));
    p.family("sluice_upstream_requests_active", "gauge", "Requests in flight to an endpoint.");
    forEndpoints(upstreams, max, (u, e) -> p.sample("sluice_upstream_requests_active", ue, List.of(u.name, e.address()), e.activeRequests()));
    p.family("sluice_upstream_endpoint_healthy", "gauge", "1 while an endpoint is in rotation, 0 while health checking has taken it out.");
    forEndpoints(upstreams, max, (u, e) -> p.sample("sluice_upstream_endpoint_healthy", ue, List.of(u.name, e.address()), e.isAvailable() ? 1 : 0));
    p.family("sluice_upstream_connections_max", "gauge", "The connection limit per endpoint (pool.maxConnectionsPerEndpoint).");
    int n = 0;
    for (UpstreamRuntime u : upstreams) {
      if (n++ >= max) break;
      p.sample("sluice_upstream_connections_max", List.of("upstream"), List.of(u.name), u.maxConnectionsPerEndpoint);
    }
    p.family("sluice_config_revision", "gauge", "The configuration revision applied.");
    p.sample("sluice_config_revision", List.of(), List.of(), configRevision);
    p.family("sluice_config_apply_failures_total", "counter", "Configuration changes refused or not applied.");
    p.sample("sluice_config_apply_failures_total", List.of(), List.of(), applyFailures.get());
    p.family("sluice_unexpected_errors_total", "counter", "Exceptions the gateway did not expect (not I/O errors), by where they were caught; logged at WARN, rate-limited.");
    for (UnexpectedErrors.Where w : UnexpectedErrors.Where.values()) {
      p.sample("sluice_unexpected_errors_total", List.of("where"), List.of(w.label), unexpected.count(w));
    }
    p.family("sluice_config_last_apply_timestamp_seconds", "gauge", "When a configuration was last applied, seconds since the epoch (0: never).");
    p.sample("sluice_config_last_apply_timestamp_seconds", List.of(), List.of(), lastApplyMillis / 1e3);
    p.family("sluice_event_loop_pending_tasks", "gauge", "Tasks waiting in an event loop's queue.");
    int i = 0;
    for (EventExecutor e : dataPlane.eventLoops()) {
      int pending = e instanceof SingleThreadEventExecutor t ? t.pendingTasks() : 0;
      p.sample("sluice_event_loop_pending_tasks", List.of("loop"), List.of(Integer.toString(i++)), pending);
    }
    p.family("sluice_access_log_queue_entries", "gauge", "Access log entries waiting for the writer thread.");
    p.sample("sluice_access_log_queue_entries", List.of(), List.of(), accessLog.queued());
    WebSocketTunnels tunnels = dataPlane.tunnels();
    p.family("sluice_websocket_tunnels_open", "gauge", "WebSocket tunnels open now.");
    p.sample("sluice_websocket_tunnels_open", List.of(), List.of(), tunnels.openCount());
    p.family("sluice_websocket_tunnels_closed_total", "counter", "WebSocket tunnels ended, by who closed them (client, upstream, idle, lifetime, drain).");
    for (CloseCause c : CloseCause.values()) {
      p.sample("sluice_websocket_tunnels_closed_total", List.of("closed_by"), List.of(c.label), tunnels.closedCount(c));
    }
    filterMeters.write(p);
    gauges.write(p);
    jvm.write(p);
  }

  private static final String[] BREAKER_STATES = {"closed", "open", "half_open"};

  /** Reads the breakers of the snapshot in force (their states are atomics: no lock, nothing waits). */
  private void breakerStates(Samples samples) {
    List<UpstreamRuntime> upstreams = new ArrayList<>(dataPlane.snapshot().upstreams().values());
    upstreams.sort(Comparator.comparing(u -> u.name));
    for (UpstreamRuntime u : upstreams) {
      if (u.breaker != null) breakerState(samples, u.name, "", u.breaker);
      for (Endpoint e : u.endpoints) {
        UpstreamRuntime.EndpointGuard g = u.guard(e);
        if (g != null && g.breaker() != null) breakerState(samples, u.name, e.address(), g.breaker());
      }
    }
  }

  private static void breakerState(Samples samples, String upstream, String endpoint, Breaker b) {
    String current = switch (b.state()) {
      case OPEN, FORCED_OPEN -> "open";
      case HALF_OPEN -> "half_open";
      default -> "closed";
    };
    for (String state : BREAKER_STATES) samples.add(state.equals(current) ? 1 : 0, upstream, endpoint, state);
  }

  private interface EndpointSample {
    void write(UpstreamRuntime u, Endpoint e) throws IOException;
  }

  private static void forEndpoints(List<UpstreamRuntime> upstreams, int max, EndpointSample s) throws IOException {
    int n = 0;
    for (UpstreamRuntime u : upstreams) {
      for (Endpoint e : u.endpoints) {
        if (n++ >= max) return;
        s.write(u, e);
      }
    }
  }

  // ---- stats ----

  public GatewayStats stats() {
    long now = System.nanoTime();
    RuntimeSnapshot s = dataPlane.snapshot();
    Map<String, Integer> connections = dataPlane.connectionCounts();
    List<GatewayStats.Listener> listeners = new ArrayList<>();
    List<ListenerConfig> lcs = new ArrayList<>(s.listeners().values());
    lcs.sort(Comparator.comparing(c -> c.name));
    for (ListenerConfig c : lcs) {
      listeners.add(new GatewayStats.Listener(c.name, connections.getOrDefault(c.name, 0),
          StatsCalculator.traffic(List.of(c.observability.meter()), now)));
    }
    List<GatewayStats.Route> routes = new ArrayList<>();
    List<String> routeNames = new ArrayList<>();
    for (ConfigObject<RouteSpec> r : s.config().routes()) routeNames.add(r.name());
    routeNames.sort(null);
    for (String name : routeNames) {
      Meter m = meters.find(MeterKind.ROUTE, List.of(name));
      if (m != null) routes.add(new GatewayStats.Route(name, StatsCalculator.traffic(List.of(m), now)));
    }
    List<GatewayStats.Upstream> upstreams = new ArrayList<>();
    List<UpstreamRuntime> us = new ArrayList<>(s.upstreams().values());
    us.sort(Comparator.comparing(u -> u.name));
    for (UpstreamRuntime u : us) {
      List<GatewayStats.Endpoint> eps = new ArrayList<>();
      List<Meter> all = new ArrayList<>();
      for (Endpoint e : u.endpoints) {
        Meter m = e.meter();
        if (m == null) continue;
        all.add(m);
        eps.add(new GatewayStats.Endpoint(e.address(), e.isAvailable(), e.openConnections(), e.activeRequests(),
            StatsCalculator.traffic(List.of(m), now), u.endpointBreakerState(e)));
      }
      upstreams.add(new GatewayStats.Upstream(u.name, StatsCalculator.traffic(all, now), eps, u.breakerState()));
    }
    return new GatewayStats(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString(), listeners, routes, upstreams);
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    accessLog.close();
    tracers.close();
    jvm.close();
  }
}
