package io.sluice.proxy;

import io.sluice.api.ConfigSet;
import io.sluice.proxy.internal.DataPlane;
import io.sluice.proxy.internal.Transport;
import io.sluice.proxy.metrics.GatewayMetrics;
import io.sluice.proxy.metrics.GatewayStats;
import java.net.InetSocketAddress;
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
    return new Gateway(new DataPlane(eventLoops));
  }

  /** Starts one event loop per available processor. */
  public static Gateway start() {
    return start(Runtime.getRuntime().availableProcessors());
  }

  /**
   * Makes {@code config} the running configuration. Validation has happened when a
   * {@link ConfigSet} exists; what can still fail here is binding a port, and then nothing changes.
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

  /** The configuration in force. */
  public ConfigSet config() {
    return dataPlane.config();
  }

  /** The local address a listener is bound to, or null when no listener of that name is bound. */
  public @Nullable InetSocketAddress boundAddress(String listener) {
    return dataPlane.boundAddress(listener);
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
