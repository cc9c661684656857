package io.sluice.api.upstream;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A set of endpoints that serve the same thing, and how requests are spread over them.
 *
 * <pre>{@code
 * spec:
 *   endpoints:
 *     - {address: 127.0.0.1:9001, weight: 3}
 *     - {address: 127.0.0.1:9002}
 *   loadBalancer: {policy: weighted-round-robin}
 *   timeouts: {connect: 2s, response: 30s}
 *   pool: {maxConnectionsPerEndpoint: 1024, idleTimeout: 60s}
 *   healthCheck: {path: /healthz, interval: 5s}
 *   outlierDetection: {consecutive5xx: 5}
 *   circuitBreaker: {upstream: {failureRateThreshold: 50}, endpoint: {failureRateThreshold: 50}}
 *   retries: {attempts: 3, statuses: [503]}
 *   tls: {caSecret: backend-ca}
 *   protocol: h2
 *   http2: {pingInterval: 30s, pingTimeout: 10s}
 * }</pre>
 *
 * @param endpoints at least one; addresses unique within the upstream
 * @param loadBalancer the policy; default round-robin
 * @param timeouts connect and response timeouts
 * @param pool the keep-alive connection pool
 * @param healthCheck active health checks; none when left out
 * @param outlierDetection passive outlier detection; none when left out
 * @param circuitBreaker circuit breakers for the upstream and its endpoints; none when left out
 * @param retries the retry policy; no retries when left out (routes may set their own)
 * @param tls TLS to the endpoints; plain TCP when left out or not enabled
 * @param protocol the protocol spoken to the endpoints: {@code http1} (HTTP/1.1, the default),
 *     {@code h2} (HTTP/2 over TLS, ALPN offers h2 only; needs {@code tls}), {@code h2c} (HTTP/2
 *     over plain TCP with prior knowledge) or {@code auto} (TLS; ALPN offers h2 and http/1.1 and the
 *     endpoint's choice decides per connection; needs {@code tls})
 * @param http2 HTTP/2 connection settings, for {@code h2}, {@code h2c} and {@code auto}; defaults when left out
 */
public record UpstreamSpec(
    List<Endpoint> endpoints,
    LoadBalancer loadBalancer,
    Timeouts timeouts,
    Pool pool,
    @Nullable HealthCheck healthCheck,
    @Nullable OutlierDetection outlierDetection,
    @Nullable CircuitBreakers circuitBreaker,
    @Nullable RetryPolicy retries,
    @Nullable UpstreamTls tls,
    @Nullable String protocol,
    @Nullable Http2 http2) implements Spec {

  /** {@link #protocol}: HTTP/1.1 (the default). */
  public static final String HTTP1 = "http1";
  /** {@link #protocol}: HTTP/2 over TLS, ALPN offering h2 only. */
  public static final String H2 = "h2";
  /** {@link #protocol}: HTTP/2 over plain TCP with prior knowledge. */
  public static final String H2C = "h2c";
  /** {@link #protocol}: TLS, ALPN offering h2 and http/1.1; the endpoint decides per connection. */
  public static final String AUTO = "auto";

  public UpstreamSpec {
    endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
    loadBalancer = loadBalancer == null ? LoadBalancer.DEFAULT : loadBalancer;
    timeouts = timeouts == null ? Timeouts.DEFAULT : timeouts;
    pool = pool == null ? Pool.DEFAULT : pool;
  }

  /** An upstream without health checks, outlier detection, circuit breakers or retries. */
  public UpstreamSpec(List<Endpoint> endpoints, LoadBalancer loadBalancer, Timeouts timeouts, Pool pool) {
    this(endpoints, loadBalancer, timeouts, pool, null, null, null, null, null);
  }

  /** An upstream without TLS. */
  public UpstreamSpec(List<Endpoint> endpoints, LoadBalancer loadBalancer, Timeouts timeouts, Pool pool,
      @Nullable HealthCheck healthCheck, @Nullable OutlierDetection outlierDetection,
      @Nullable CircuitBreakers circuitBreaker, @Nullable RetryPolicy retries) {
    this(endpoints, loadBalancer, timeouts, pool, healthCheck, outlierDetection, circuitBreaker, retries, null);
  }

  /** An HTTP/1.1 upstream. */
  public UpstreamSpec(List<Endpoint> endpoints, LoadBalancer loadBalancer, Timeouts timeouts, Pool pool,
      @Nullable HealthCheck healthCheck, @Nullable OutlierDetection outlierDetection,
      @Nullable CircuitBreakers circuitBreaker, @Nullable RetryPolicy retries, @Nullable UpstreamTls tls) {
    this(endpoints, loadBalancer, timeouts, pool, healthCheck, outlierDetection, circuitBreaker, retries, tls, null,
        null);
  }

  /** The protocol spoken to the endpoints: {@link #protocol}, {@link #HTTP1} when left out. */
  public String protocolOrDefault() {
    String p = protocol;
    return p == null ? HTTP1 : p;
  }

  /** The HTTP/2 connection settings, or their defaults. */
  public Http2 http2OrDefault() {
    Http2 h = http2;
    return h == null ? Http2.DEFAULT : h;
  }

  /** The TLS settings when TLS is enabled, else null. */
  public @Nullable UpstreamTls tlsIfEnabled() {
    UpstreamTls t = tls;
    return t != null && t.enabled() ? t : null;
  }

  /** The Secrets its TLS names: a deleted one would leave the upstream without its CA or client certificate. */
  @Override
  public List<ObjectRef> references() {
    UpstreamTls t = tls;
    if (t == null) return List.of();
    List<ObjectRef> refs = new ArrayList<>(2);
    if (t.caSecret() != null) refs.add(new ObjectRef(Kind.SECRET, t.caSecret()));
    if (t.clientCertificate() != null) refs.add(new ObjectRef(Kind.SECRET, t.clientCertificate()));
    return refs;
  }

  /**
   * @param address {@code host:port}; a host name is resolved when the upstream is applied
   * @param weight relative share for the weighted policies, 1 to 1000 (default 1)
   */
  public record Endpoint(String address, Integer weight) {
    public Endpoint {
      weight = weight == null ? 1 : weight;
    }

    public static Endpoint of(String address) {
      return new Endpoint(address, 1);
    }
  }

  /**
   * @param connect a connection to an endpoint must be established within this, else 502 (default 5s)
   * @param response the response head must arrive within this after the whole request was sent,
   *     else 504 (default 60s)
   */
  public record Timeouts(Duration connect, Duration response) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Timeouts DEFAULT = new Timeouts(null, null);

    public Timeouts {
      connect = connect == null ? Duration.ofSeconds(5) : connect;
      response = response == null ? Duration.ofSeconds(60) : response;
    }
  }

  /**
   * @param maxConnectionsPerEndpoint open connections to one endpoint from this gateway, idle and
   *     busy together; a request that needs one more gets 503 (default 1024)
   * @param idleTimeout an idle pooled connection is closed after this (default 60s)
   */
  public record Pool(Integer maxConnectionsPerEndpoint, Duration idleTimeout) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Pool DEFAULT = new Pool(null, null);

    public Pool {
      maxConnectionsPerEndpoint = maxConnectionsPerEndpoint == null ? 1024 : maxConnectionsPerEndpoint;
      idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
    }
  }

  /**
   * HTTP/2 connections to the endpoints ({@code protocol} h2, h2c or auto).
   *
   * @param pingInterval an idle connection (no open stream) sends a PING this often to keep it and
   *     learn that it still works (default 30s)
   * @param pingTimeout a PING whose ACK has not come back within this closes the connection (default 10s)
   */
  public record Http2(Duration pingInterval, Duration pingTimeout) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Http2 DEFAULT = new Http2(null, null);

    public Http2 {
      pingInterval = pingInterval == null ? Duration.ofSeconds(30) : pingInterval;
      pingTimeout = pingTimeout == null ? Duration.ofSeconds(10) : pingTimeout;
    }
  }
}
