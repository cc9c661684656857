package io.sluice.proxy.metrics;

import java.io.IOException;
import java.util.List;

/**
 * The gateway's metrics, for Prometheus: what the data plane records on its event loops (requests,
 * errors, bytes, latency per listener, route and upstream endpoint), its connection pools, the
 * configuration's revision and failures, and the JVM. Obtained from {@code Gateway.metrics()}.
 *
 * <p>Threading: every method may be called from any thread. A scrape reads counters the event loops
 * write without stopping them; each value is one a loop wrote, at most a few requests old.
 */
public interface GatewayMetrics {
  /** The name under which a circuit breaker's state is expected to be registered (see {@link #registerGauge}). */
  String BREAKER_STATE = "sluice_upstream_breaker_state";

  /**
   * Writes every metric in the Prometheus text exposition format, version 0.0.4 (content type
   * {@code text/plain; version=0.0.4; charset=utf-8}).
   */
  void writePrometheus(Appendable out) throws IOException;

  /**
   * Writes only the families counted per listener ({@code sluice_requests_total},
   * {@code sluice_request_duration_seconds} and the others labelled by {@code listener}), as
   * {@link #writePrometheus} writes them: what a node's reading of its own traffic needs (the
   * fleet's canary comparison, every second), without the per-route and per-endpoint series that
   * make a full scrape megabytes with thousands of routes. Thread-safe.
   */
  void writeListenerPrometheus(Appendable out) throws IOException;

  /** Records the configuration revision now applied (the store's revision); exported as {@code sluice_config_revision}. */
  void setConfigRevision(long revision);

  /**
   * Counts a configuration change that was refused before it reached the data plane (invalid
   * objects, unresolved references); exported in {@code sluice_config_apply_failures_total}.
   * Failures of {@code Gateway.apply} itself (a port that cannot be bound) are counted by the
   * gateway and must not be reported here again.
   */
  void recordConfigApplyFailure();

  /**
   * Adds a gauge read at every scrape, e.g. circuit breaker states ({@link #BREAKER_STATE}, labels
   * {@code upstream}, {@code endpoint}, {@code state}, value 1 for the current state) from the part
   * that owns them. The source runs on the scraping thread and must not block.
   *
   * @param name a metric name ({@code [a-zA-Z_:][a-zA-Z0-9_:]*}) not used by another gauge
   * @param help one line describing it
   * @param labelNames the label names each sample gives values for, in order
   * @return closing it removes the gauge
   * @throws IllegalArgumentException when a name is invalid or the name is taken
   */
  AutoCloseable registerGauge(String name, String help, List<String> labelNames, GaugeSource source);

  /** Produces a gauge's samples at scrape time. */
  @FunctionalInterface
  interface GaugeSource {
    void collect(Samples samples);
  }

  /** Where a {@link GaugeSource} puts its samples. */
  interface Samples {
    /**
     * One sample.
     *
     * @param labelValues one per label name, in order
     * @throws IllegalArgumentException when the number of values does not match the label names
     */
    void add(double value, String... labelValues);
  }
}
