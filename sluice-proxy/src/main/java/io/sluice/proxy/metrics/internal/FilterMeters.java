package io.sluice.proxy.metrics.internal;

import io.sluice.filter.FilterMetrics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * The metrics filters define ({@link FilterMetrics}, from {@code FilterEnvironment.metrics()}),
 * written with the gateway's on {@code /metrics} as {@code sluice_filter_<name>}. One per gateway;
 * series live as long as it does (a filter that comes back after a configuration change finds its
 * counters where it left them), at most {@link FilterMetrics#MAX_SERIES}.
 *
 * <p>Threading: defining takes the families' concurrent maps (apply time, or a plugin's first use
 * of a name); updates are {@link LongAdder}s and atomics, so the event loops never block; a scrape
 * reads them as they are.
 */
public final class FilterMeters implements FilterMetrics {
  static final String PREFIX = "sluice_filter_";
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private enum Type {
    COUNTER("counter"), GAUGE("gauge"), HISTOGRAM("histogram");

    final String text;

    Type(String text) {
      this.text = text;
    }
  }

  private record Family(String exported, Type type, String help, List<String> labelNames, double[] bounds,
      Map<List<String>, Object> series) {}

  private final Map<String, Family> families = new ConcurrentSkipListMap<>();
  private final AtomicInteger seriesCount = new AtomicInteger();
  private final int maxSeries;

  public FilterMeters() {
    this(MAX_SERIES);
  }

  FilterMeters(int maxSeries) {
    this.maxSeries = maxSeries;
  }

  @Override
  public Counter counter(String name, String help, Map<String, String> labels) {
    return (Counter) series(Type.COUNTER, name, help, labels, new double[0]);
  }

  @Override
  public Gauge gauge(String name, String help, Map<String, String> labels) {
    return (Gauge) series(Type.GAUGE, name, help, labels, new double[0]);
  }

  @Override
  public Histogram histogram(String name, String help, Map<String, String> labels, double... bounds) {
    return (Histogram) series(Type.HISTOGRAM, name, help, labels, bounds.length == 0 ? DEFAULT_BOUNDS : bounds);
  }

  private Object series(Type type, String name, String help, Map<String, String> labels, double[] bounds) {
    Objects.requireNonNull(labels, "labels");
    if (name == null || !NAME.matcher(name).matches() || name.startsWith("__")) {
      throw new IllegalArgumentException("metric name '" + name + "' is invalid; expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
    }
    if (help == null || help.isBlank() || help.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("help of metric " + name + " must be one non-empty line");
    }
    TreeMap<String, String> sorted = new TreeMap<>();
    for (Map.Entry<String, String> l : labels.entrySet()) {
      String k = Objects.requireNonNull(l.getKey(), "label name");
      if (!NAME.matcher(k).matches() || k.startsWith("__")) {
        throw new IllegalArgumentException("label name '" + k + "' of metric " + name + " is invalid; expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
      }
      sorted.put(k, Objects.requireNonNull(l.getValue(), "label value of " + k));
    }
    for (int i = 0; i < bounds.length; i++) {
      if (Double.isNaN(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        throw new IllegalArgumentException("bucket bounds of metric " + name + " are " + Arrays.toString(bounds) + "; expected increasing numbers");
      }
    }
    String exported = PREFIX + name + (type == Type.COUNTER && !name.endsWith("_total") ? "_total" : "");
    List<String> labelNames = List.copyOf(sorted.keySet());
    Family f = families.computeIfAbsent(exported,
        k -> new Family(k, type, help, labelNames, bounds.clone(), new ConcurrentHashMap<>()));
    if (f.type != type) {
      throw new IllegalArgumentException("metric " + name + " is a " + f.type.text + " already; cannot define it as a " + type.text);
    }
    if (!f.labelNames.equals(labelNames)) {
      throw new IllegalArgumentException("metric " + name + " has the labels " + f.labelNames + " already; got " + labelNames);
    }
    if (type == Type.HISTOGRAM && !Arrays.equals(f.bounds, bounds)) {
      throw new IllegalArgumentException("histogram " + name + " has the buckets " + Arrays.toString(f.bounds) + " already; got " + Arrays.toString(bounds));
    }
    List<String> values = List.copyOf(sorted.values());
    Object s = f.series.get(values);
    if (s != null) return s;
    return f.series.computeIfAbsent(values, v -> {
      if (seriesCount.incrementAndGet() > maxSeries) {
        seriesCount.decrementAndGet();
        throw new IllegalStateException("filters defined " + maxSeries + " metric series already; metric " + name + " " + sorted + " is refused");
      }
      return switch (type) {
        case COUNTER -> new CounterSeries();
        case GAUGE -> new GaugeSeries();
        case HISTOGRAM -> new HistogramSeries(f.bounds);
      };
    });
  }

  /** Writes every filter metric, families by name, series in no particular order. */
  public void write(PrometheusText p) throws IOException {
    for (Family f : families.values()) {
      if (f.series.isEmpty()) continue;
      p.family(f.exported, f.type.text, f.help);
      for (Map.Entry<List<String>, Object> e : new ArrayList<>(f.series.entrySet())) {
        switch (e.getValue()) {
          case CounterSeries c -> p.sample(f.exported, f.labelNames, e.getKey(), c.value());
          case GaugeSeries g -> p.sample(f.exported, f.labelNames, e.getKey(), g.value());
          case HistogramSeries h -> h.write(p, f.exported, f.labelNames, e.getKey());
          default -> throw new IllegalStateException("unknown series " + e.getValue());
        }
      }
    }
  }

  private static final class CounterSeries implements Counter {
    private final LongAdder count = new LongAdder();

    @Override
    public void add(long amount) {
      if (amount < 0) throw new IllegalArgumentException("a counter cannot go down; got " + amount);
      count.add(amount);
    }

    @Override
    public long value() {
      return count.sum();
    }
  }

  private static final class GaugeSeries implements Gauge {
    private final AtomicLong value = new AtomicLong();

    @Override
    public void set(long v) {
      value.set(v);
    }

    @Override
    public void add(long delta) {
      value.addAndGet(delta);
    }

    @Override
    public long value() {
      return value.get();
    }
  }

  private static final class HistogramSeries implements Histogram {
    private final double[] bounds;
    /** One per bound, then +Inf; not cumulative (the writer sums them). */
    private final LongAdder[] buckets;
    private final DoubleAdder sum = new DoubleAdder();

    HistogramSeries(double[] bounds) {
      this.bounds = bounds;
      this.buckets = new LongAdder[bounds.length + 1];
      for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
    }

    @Override
    public void record(double value) {
      int i = 0;
      while (i < bounds.length && value > bounds[i]) i++;
      buckets[i].increment();
      sum.add(value);
    }

    @Override
    public long count() {
      long n = 0;
      for (LongAdder b : buckets) n += b.sum();
      return n;
    }

    @Override
    public double sum() {
      return sum.sum();
    }

    void write(PrometheusText p, String name, List<String> labelNames, List<String> labelValues) throws IOException {
      long cumulative = 0;
      for (int i = 0; i < buckets.length; i++) {
        cumulative += buckets[i].sum();
        String le = i < bounds.length ? PrometheusText.number(bounds[i]) : "+Inf";
        p.sample(name + "_bucket", labelNames, labelValues, cumulative, "le", le);
      }
      p.sample(name + "_sum", labelNames, labelValues, sum.sum());
      p.sample(name + "_count", labelNames, labelValues, cumulative);
    }
  }
}
