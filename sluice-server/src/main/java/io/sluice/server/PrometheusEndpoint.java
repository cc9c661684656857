package io.sluice.server;

import io.sluice.admin.AdminEndpoint;
import io.sluice.proxy.metrics.GatewayMetrics;

/**
 * {@code GET /metrics} on the admin listener: the gateway's metrics in the Prometheus text format
 * 0.0.4. Each scrape writes them afresh into a string (a scrape is rare next to requests, and the
 * admin server answers from a string). Thread-safe: scrapes may run concurrently.
 */
final class PrometheusEndpoint implements AdminEndpoint {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final GatewayMetrics metrics;

  PrometheusEndpoint(GatewayMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public String get() throws Exception {
    return text();
  }

  /** The metrics as a scrape sees them. */
  String text() {
    StringBuilder out = new StringBuilder(64 * 1024);
    try {
      metrics.writePrometheus(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("a StringBuilder does not fail", e);
    }
    return out.toString();
  }

  /**
   * Only the per-listener families ({@link GatewayMetrics#writeListenerPrometheus}): what the node's
   * traffic window reads every second, a few kilobytes where a full scrape with 10,000 routes is
   * megabytes (rendering that each second was a fifth of a data-plane node's CPU in the fleet
   * benchmark, docs/benchmarks.md).
   */
  static String listenerText(GatewayMetrics metrics) {
    StringBuilder out = new StringBuilder(8 * 1024);
    try {
      metrics.writeListenerPrometheus(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("a StringBuilder does not fail", e);
    }
    return out.toString();
  }

  @Override
  public String contentType() {
    return CONTENT_TYPE;
  }
}
