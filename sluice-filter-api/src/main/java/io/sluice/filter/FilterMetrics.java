package io.sluice.filter;

import java.util.Map;

/**
 * Metrics a filter defines and updates, exported with the gateway's own on {@code /metrics}
 * (Prometheus), from {@link FilterEnvironment#metrics()}.
 *
 * <p><b>Names.</b> {@code name} is a Prometheus metric name without a prefix
 * ({@code [a-zA-Z_][a-zA-Z0-9_]*}, no {@code __} at the start); it is exported as
 * {@code sluice_filter_<name>}, a counter with {@code _total} appended unless it ends so already.
 * Label names are Prometheus label names; values are any text. A metric is one series per name
 * and label values, shared by every filter instance that asks for it and kept across configuration
 * changes (counters stay monotonic); asking again returns the same series. The label names of a
 * metric and its type are fixed by its first definition: a later one that differs is refused.
 *
 * <p><b>Bounds.</b> The gateway keeps at most {@value #MAX_SERIES} filter series; define metrics
 * when the filter is created, not per request, and keep label values to a small, known set.
 *
 * <p><b>Threading.</b> Defining is thread-safe; updating a series is lock-free and may be done on
 * the event loop in any phase.
 */
public interface FilterMetrics {
  /** The most filter series the gateway keeps. */
  int MAX_SERIES = 10_000;

  /**
   * The counter {@code name} with {@code labels}.
   *
   * @param help one line describing the metric (used by its first definition)
   * @throws IllegalArgumentException when the name, a label name or the help is invalid, or the
   *     name is defined with another type or other label names
   * @throws IllegalStateException when {@link #MAX_SERIES} series exist already
   */
  Counter counter(String name, String help, Map<String, String> labels);

  /** The gauge {@code name} with {@code labels}; as {@link #counter}. */
  Gauge gauge(String name, String help, Map<String, String> labels);

  /**
   * The histogram {@code name} with {@code labels}; as {@link #counter}.
   *
   * @param bounds the buckets' upper bounds, increasing (a {@code +Inf} bucket follows); empty for
   *     {@link #DEFAULT_BOUNDS}. Fixed by the first definition, like the label names.
   */
  Histogram histogram(String name, String help, Map<String, String> labels, double... bounds);

  /**
   * The default buckets of a histogram: Envoy's default histogram buckets, so that a proxy-wasm
   * plugin's histogram reads as it does in Envoy (values are in the plugin's unit, often ms).
   */
  double[] DEFAULT_BOUNDS = {0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
      300000, 600000, 1800000, 3600000};

  /** A monotonic count. */
  interface Counter {
    /**
     * Adds {@code amount}.
     *
     * @throws IllegalArgumentException when {@code amount} is negative
     */
    void add(long amount);

    /** The count so far. */
    long value();
  }

  /** A value that goes up and down. */
  interface Gauge {
    void set(long value);

    /** Adds {@code delta} (which may be negative). */
    void add(long delta);

    long value();
  }

  /** A distribution of observed values in fixed buckets, with their count and sum. */
  interface Histogram {
    void record(double value);

    /** How many values were recorded. */
    long count();

    /** The sum of the recorded values. */
    double sum();
  }
}
