package io.sluice.server.fleet;

import io.sluice.store.NodeRecord;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * This node's traffic over the last {@link #WINDOW}, for the config canary's comparison: requests,
 * 5xx answers and p99 latency of every listener together, as differences between samples of the
 * node's own Prometheus metrics ({@code sluice_requests_total} by class, the
 * {@code sluice_request_duration_seconds} histogram), so that the numbers the canary is judged by
 * are those an operator's Prometheus sees. The p99 is the upper bound of the histogram bucket it
 * falls in (0.5 ms to 60 s), as a {@code histogram_quantile} without interpolation would say.
 *
 * <p>Threading: {@link #sample()} and {@link #summary()} from one thread (the node reporter's); a
 * sample writes the metrics text once, off the event loops.
 */
public final class TrafficWindow {
  /** How far back the summary counts. */
  public static final Duration WINDOW = Duration.ofSeconds(10);
  private static final String REQUESTS = "sluice_requests_total{";
  private static final String BUCKET = "sluice_request_duration_seconds_bucket{";

  private record Sample(long nanos, long requests, long errors, Map<String, Long> buckets) {}

  private final Supplier<String> metrics;
  private final LongSupplier clock;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  /**
   * @param metrics the node's metrics in the Prometheus text format
   * @param clock nanoseconds, monotonic ({@code System::nanoTime})
   */
  public TrafficWindow(Supplier<String> metrics, LongSupplier clock) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Reads the metrics now and forgets samples older than the window. */
  public void sample() {
    long requests = 0;
    long errors = 0;
    Map<String, Long> buckets = new LinkedHashMap<>();
    for (String line : metrics.get().split("\n")) {
      if (line.startsWith(REQUESTS)) {
        long v = value(line);
        requests += v;
        if (line.contains("class=\"5xx\"")) errors += v;
      } else if (line.startsWith(BUCKET)) {
        int le = line.indexOf("le=\"");
        if (le < 0) continue;
        String bound = line.substring(le + 4, line.indexOf('"', le + 4));
        buckets.merge(bound, value(line), Long::sum);
      }
    }
    long now = clock.getAsLong();
    Sample last = samples.peekLast();
    // A listener re-created by a change starts its counters from zero: count from then on.
    if (last != null && requests < last.requests()) samples.clear();
    samples.addLast(new Sample(now, requests, errors, buckets));
    while (samples.size() > 2 && now - samples.peekFirst().nanos() > WINDOW.toNanos()) samples.removeFirst();
  }

  /** The traffic between the oldest sample in the window and the latest; null before two samples. */
  public NodeRecord.@Nullable Traffic summary() {
    Sample first = samples.peekFirst();
    Sample last = samples.peekLast();
    if (first == null || last == null || first == last) return null;
    long requests = last.requests() - first.requests();
    long errors = Math.min(requests, Math.max(0, last.errors() - first.errors()));
    Duration p99 = Duration.ZERO;
    long total = 0;
    Map<String, Long> delta = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : last.buckets().entrySet()) {
      long d = e.getValue() - first.buckets().getOrDefault(e.getKey(), 0L);
      delta.put(e.getKey(), d);
      total = Math.max(total, d);
    }
    if (total > 0) {
      long target = (long) Math.ceil(total * 0.99);
      String largestFinite = "0";
      for (Map.Entry<String, Long> e : delta.entrySet()) {
        if (!e.getKey().equals("+Inf")) largestFinite = e.getKey();
        if (e.getValue() >= target) {
          p99 = seconds(e.getKey().equals("+Inf") ? largestFinite : e.getKey());
          break;
        }
      }
    }
    return new NodeRecord.Traffic(Duration.ofNanos(last.nanos() - first.nanos()), Math.max(0, requests), errors, p99);
  }

  private static Duration seconds(String bound) {
    return Duration.ofNanos(Math.round(Double.parseDouble(bound) * 1e9));
  }

  private static long value(String line) {
    String v = line.substring(line.lastIndexOf(' ') + 1).strip();
    try {
      return (long) Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
