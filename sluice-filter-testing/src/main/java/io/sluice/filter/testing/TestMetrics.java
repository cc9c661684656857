package io.sluice.filter.testing;

import io.sluice.filter.FilterMetrics;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * The harness's {@link FilterMetrics}: in memory, with the gateway's rules for names, labels,
 * types and buckets (a definition the gateway refuses is refused here with the same kind of
 * exception); nothing is exported. Thread-safe.
 */
final class TestMetrics implements FilterMetrics {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private record Definition(String type, List<String> labelNames, double[] bounds) {}

  private final Map<String, Definition> definitions = new ConcurrentHashMap<>();
  private final Map<String, Object> series = new ConcurrentHashMap<>();

  @Override
  public Counter counter(String name, String help, Map<String, String> labels) {
    return (Counter) series("counter", name, help, labels, new double[0]);
  }

  @Override
  public Gauge gauge(String name, String help, Map<String, String> labels) {
    return (Gauge) series("gauge", name, help, labels, new double[0]);
  }

  @Override
  public Histogram histogram(String name, String help, Map<String, String> labels, double... bounds) {
    return (Histogram) series("histogram", name, help, labels, bounds.length == 0 ? DEFAULT_BOUNDS : bounds);
  }

  private Object series(String type, String name, String help, Map<String, String> labels, double[] bounds) {
    if (name == null || !NAME.matcher(name).matches() || name.startsWith("__")) {
      throw new IllegalArgumentException("metric name '" + name + "' is invalid; expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
    }
    if (help == null || help.isBlank() || help.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("help of metric " + name + " must be one non-empty line");
    }
    TreeMap<String, String> sorted = new TreeMap<>();
    labels.forEach((k, v) -> {
      if (!NAME.matcher(k).matches() || k.startsWith("__")) throw new IllegalArgumentException("label name '" + k + "' of metric " + name + " is invalid");
      sorted.put(k, Objects.requireNonNull(v, "label value"));
    });
    for (int i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) throw new IllegalArgumentException("bucket bounds of metric " + name + " must increase");
    }
    Definition d = definitions.computeIfAbsent(name, n -> new Definition(type, List.copyOf(sorted.keySet()), bounds.clone()));
    if (!d.type().equals(type) || !d.labelNames().equals(List.copyOf(sorted.keySet()))
        || (type.equals("histogram") && !Arrays.equals(d.bounds(), bounds))) {
      throw new IllegalArgumentException("metric " + name + " is defined already as a " + d.type() + " with labels " + d.labelNames());
    }
    if (series.size() >= MAX_SERIES) throw new IllegalStateException("filters defined " + MAX_SERIES + " metric series already");
    return series.computeIfAbsent(name + sorted, k -> switch (type) {
      case "counter" -> new Counter() {
        final LongAdder n = new LongAdder();

        @Override
        public void add(long amount) {
          if (amount < 0) throw new IllegalArgumentException("a counter cannot go down; got " + amount);
          n.add(amount);
        }

        @Override
        public long value() {
          return n.sum();
        }
      };
      case "gauge" -> new Gauge() {
        final AtomicLong v = new AtomicLong();

        @Override
        public void set(long value) {
          v.set(value);
        }

        @Override
        public void add(long delta) {
          v.addAndGet(delta);
        }

        @Override
        public long value() {
          return v.get();
        }
      };
      default -> new Histogram() {
        final LongAdder n = new LongAdder();
        final DoubleAdder s = new DoubleAdder();

        @Override
        public void record(double value) {
          n.increment();
          s.add(value);
        }

        @Override
        public long count() {
          return n.sum();
        }

        @Override
        public double sum() {
          return s.sum();
        }
      };
    });
  }
}
