package io.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.RequestHead;
import io.sluice.proxy.http1.RequestHeadReader;
import io.sluice.proxy.internal.DataPlane;
import io.sluice.proxy.internal.Transport;
import io.sluice.proxy.metrics.GatewayMetrics;
import io.sluice.proxy.metrics.GatewayStats;
import io.sluice.proxy.metrics.MetricsOptions;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The Sluice data plane: listeners, router and upstreams, driven by {@link ConfigSet}s.
 *
 * <pre>{@code
 * try (Gateway gw = Gateway.start(2)) {
 *   gw.apply(ConfigLoader.loadDirectory(dir));   // binds listeners, starts serving
 *   ...
 *   gw.apply(newConfig);                          // atomic swap; in-flight requests unaffected
 * }                                               // graceful: drains in-flight requests
 * }</pre>
 *
 * <p>Threading: all methods may be called from any thread; {@code apply} and {@code close} are
 * serialised. Requests are served on the gateway's own event loops.
 */
public final class Gateway implements AutoCloseable {
  private final DataPlane dataPlane;

  private Gateway(DataPlane dataPlane) {
    this.dataPlane = dataPlane;
  }

  /** Starts the event loops; nothing is bound until the first {@link #apply}. */
  public static Gateway start(int eventLoops) {
    return start(eventLoops, MetricsOptions.DEFAULTS);
  }

  /** Starts the event loops, with what the metrics say per route; nothing is bound until the first {@link #apply}. */
  public static Gateway start(int eventLoops, MetricsOptions metrics) {
    return new Gateway(new DataPlane(eventLoops, Objects.requireNonNull(metrics, "metrics")));
  }

  /**
   * Starts the event loops of a node that binds only the listeners {@code binds} accepts (a fleet
   * node's {@code nodeSelector} match, or none at all on a control-plane node); the others are
   * compiled (route tests see them) but not bound, and {@link #boundAddress} is null for them.
   */
  public static Gateway start(int eventLoops, MetricsOptions metrics, Predicate<ConfigObject<ListenerSpec>> binds) {
    return new Gateway(new DataPlane(eventLoops, Objects.requireNonNull(metrics, "metrics"), binds));
  }

  /** Starts one event loop per available processor. */
  public static Gateway start() {
    return start(Runtime.getRuntime().availableProcessors());
  }

  /**
   * Makes {@code config} the running configuration. Validation has happened when a
   * {@link ConfigSet} exists; what can still fail here is binding a port, and then nothing changes.
   * An object that validated but fails to compile for the data plane (a filter that cannot be
   * created) is skipped with the objects that depend on it, and the rest is applied: see
   * {@link #skippedObjects()}.
   *
   * @throws IllegalStateException when a listener cannot bind; the message names it and the address
   *     (counted in {@code sluice_config_apply_failures_total})
   */
  public void apply(ConfigSet config) {
    try {
      dataPlane.apply(config);
    } catch (RuntimeException e) {
      dataPlane.observability().recordConfigApplyFailure();
      throw e;
    }
  }

  /**
   * The gateway's metrics: {@link GatewayMetrics#writePrometheus} for a {@code /metrics} endpoint,
   * and the setters the server calls (configuration revision, refused changes).
   */
  public GatewayMetrics metrics() {
    return dataPlane.observability();
  }

  /**
   * Traffic statistics for people: totals, rolling rates (1, 5, 15 minutes) and latency percentiles
   * per listener, route, upstream and endpoint, read now. Jackson serialises the result as it is.
   */
  public GatewayStats stats() {
    return dataPlane.observability().stats();
  }

  /**
   * The objects of the last applied configuration that are not in force because they, or an object
   * they depend on, failed to compile, with the reason; sorted, empty when everything applied. A
   * later {@link #apply} tries them again. Any thread.
   */
  public Map<ObjectRef, String> skippedObjects() {
    return dataPlane.skipped();
  }

  /** The configuration in force: the one last applied, without {@link #skippedObjects()}. */
  public ConfigSet config() {
    return dataPlane.config();
  }

  /** The local address a listener is bound to, or null when no listener of that name is bound. */
  public @Nullable InetSocketAddress boundAddress(String listener) {
    return dataPlane.boundAddress(listener);
  }

  /**
   * Says what the running configuration would do with a request, without sending one: which
   * listener, route and upstream take it, and the path and Host sent upstream. The request is
   * written as HTTP/1.1 bytes and read by the proxy's own parser, then matched against the same
   * compiled route table a real request meets, so normalisation ({@code /a/%2e%2e/b} is {@code /b}),
   * host selection, precedence and rewrites are exactly the proxy's.
   *
   * <p>Thread-safe; allocates freely (not for the request path).
   *
   * @param listener the listener to ask, or null for the first one (by name) whose routes match
   * @param method e.g. {@code GET}
   * @param url absolute ({@code http://api.example.com/orders/1?x=1}: the authority is the host,
   *     as for an absolute-form request target) or origin-form ({@code /orders/1}, with a Host among
   *     {@code headers})
   * @param headers request header fields in order; a Host field here is sent as the Host header
   * @throws IllegalArgumentException when the request is one the proxy would refuse as malformed
   *     (the message says why, as the proxy's 4xx would), when {@code listener} names no listener,
   *     or when no listener is configured
   */
  public RouteDecision explain(@Nullable String listener, String method, String url, List<Map.Entry<String, String>> headers) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(headers, "headers");
    String target = url.strip();
    if (target.isEmpty()) throw new IllegalArgumentException("url is empty; expected http://host/path or /path");
    StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    boolean hasHost = false;
    for (Map.Entry<String, String> h : headers) {
      String name = Objects.requireNonNull(h.getKey(), "header name");
      String value = Objects.requireNonNull(h.getValue(), "header value");
      // Checked here: CR or LF would start a new field, and the parser could not tell the caller's intent.
      if (name.indexOf('\r') >= 0 || name.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("header " + name.strip() + ": CR and LF are not allowed in a header field");
      }
      if (name.equalsIgnoreCase("host")) hasHost = true;
      sb.append(name).append(": ").append(value).append("\r\n");
    }
    if (!hasHost) {
      String authority = authorityOf(target);
      if (authority == null) {
        throw new IllegalArgumentException("url " + target + " has no host: give an absolute URL (http://host/path) or a Host header");
      }
      sb.append("Host: ").append(authority).append("\r\n");
    }
    sb.append("\r\n");
    ByteBuf bytes = Unpooled.wrappedBuffer(sb.toString().getBytes(StandardCharsets.UTF_8));
    try {
      RequestHead head = new RequestHeadReader().read(bytes, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
      if (head == null) throw new IllegalArgumentException("incomplete request");
      return dataPlane.explain(listener, head);
    } catch (HttpParseException e) {
      throw new IllegalArgumentException("the proxy would refuse this request: " + e.getMessage(), e);
    } finally {
      bytes.release();
    }
  }

  /** The authority of an absolute http(s) URL, or null for any other target. */
  private static @Nullable String authorityOf(String target) {
    String lower = target.toLowerCase(java.util.Locale.ROOT);
    int start = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
    if (start < 0) return null;
    int end = start;
    while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') end++;
    return end == start ? null : target.substring(start, end);
  }

  /** {@code epoll} or {@code nio}. */
  public static String transport() {
    return Transport.name();
  }

  /** Graceful shutdown: stops accepting, drains in-flight requests up to each listener's drain timeout. */
  @Override
  public void close() {
    dataPlane.close();
  }
}
