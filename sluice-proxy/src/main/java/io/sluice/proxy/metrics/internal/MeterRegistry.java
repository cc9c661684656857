package io.sluice.proxy.metrics.internal;

import io.sluice.proxy.metrics.MetricsOptions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Every meter of the gateway, by kind and label values. Meters are created at apply time, outlive
 * reloads that keep their object (counters stay monotonic), and are dropped when their object goes.
 *
 * <p>Cardinality, two caps. Each metric family admits at most {@code maxSeriesPerMetric} label
 * sets; and the listener, route and endpoint families together at most
 * {@link MetricsOptions#maxSeries} series: a meter takes the series it writes whatever its traffic
 * ({@link #seriesPerMeter}) when it is created, and each status or reason code series when it first
 * appears. A listener, route or endpoint beyond either cap shares the kind's overflow meter (every
 * label {@value #OVERFLOW}), and the series it would have had are counted in {@link #dropped} (once
 * while it stays in the configuration); a status code beyond them counts as {@code code="other"} of
 * its class, a reason code as {@code reason="other"}, on its own meter. A route's status codes are
 * not series when routes are exported by status class: they take nothing.
 *
 * <p>Threading: {@link #listener}, {@link #route}, {@link #endpoint}, {@link #retain} and {@link #release} are called
 * by the (serialised) apply; reading methods from any thread.
 */
public final class MeterRegistry {
  public static final String OVERFLOW = "__overflow__";
  /** Status codes kept for the stats only: bounded by the slots a meter has, not by a budget. */
  private static final SeriesBudget UNCOUNTED = new SeriesBudget(Integer.MAX_VALUE);

  private final int loops;
  private final int maxSeries;
  private final MetricsOptions options;
  private final SeriesBudget total;
  private final AtomicLong dropped = new AtomicLong();
  private final Map<MeterKind, Family> families = new EnumMap<>(MeterKind.class);

  private static final class Family {
    final Map<List<String>, Meter> meters = new ConcurrentHashMap<>();
    /** Label sets refused by a cap and already counted as dropped. */
    final Set<List<String>> refused = ConcurrentHashMap.newKeySet();
    final SeriesBudget holders;
    final SeriesBudget statuses;
    final SeriesBudget reasons;
    volatile @Nullable Meter overflow;

    Family(int max, SeriesBudget total, boolean countStatuses) {
      holders = new SeriesBudget(max);
      statuses = countStatuses ? new SeriesBudget(max, total) : UNCOUNTED;
      reasons = new SeriesBudget(max, total);
    }
  }

  /** The constructor made a family for every kind. */
  private Family family(MeterKind kind) {
    return Objects.requireNonNull(families.get(kind));
  }

  /** A registry with the default {@link MetricsOptions}. */
  public MeterRegistry(int loops, int maxSeriesPerMetric) {
    this(loops, maxSeriesPerMetric, MetricsOptions.DEFAULTS);
  }

  public MeterRegistry(int loops, int maxSeriesPerMetric, MetricsOptions options) {
    if (maxSeriesPerMetric < 1) {
      throw new IllegalArgumentException("maxSeriesPerMetric must be >= 1, got " + maxSeriesPerMetric);
    }
    this.loops = loops;
    this.maxSeries = maxSeriesPerMetric;
    this.options = options;
    this.total = new SeriesBudget(options.maxSeries());
    for (MeterKind k : MeterKind.values()) {
      boolean codes = k != MeterKind.ROUTE || options.routeStatusCodes() == MetricsOptions.StatusCodes.CODE;
      families.put(k, new Family(maxSeriesPerMetric, total, codes));
    }
  }

  /** Label sets per metric family. */
  public int maxSeries() {
    return maxSeries;
  }

  public MetricsOptions options() {
    return options;
  }

  /** Series refused by the caps so far (see the class comment). */
  public long dropped() {
    return dropped.get();
  }

  /**
   * The series a meter of {@code kind} writes whatever its traffic: its requests (as one), bytes in
   * and out, its histograms and, for a listener, dropped access log entries, for an endpoint, how
   * connections were acquired.
   */
  int seriesPerMeter(MeterKind kind) {
    int histogram = Buckets.PROMETHEUS_COUNT + 2;
    return switch (kind) {
      case LISTENER -> 3 + histogram + 1;
      case ROUTE -> 3 + (options.routeHistograms() ? histogram : 0);
      case ENDPOINT -> 3 + histogram + 2 + histogram;
    };
  }

  public Meter listener(String name) {
    return meter(MeterKind.LISTENER, List.of(name));
  }

  public Meter route(String name) {
    return meter(MeterKind.ROUTE, List.of(name));
  }

  public Meter endpoint(String upstream, String address) {
    return meter(MeterKind.ENDPOINT, List.of(upstream, address));
  }

  private Meter meter(MeterKind kind, List<String> labels) {
    Family f = family(kind);
    Meter m = f.meters.get(labels);
    if (m != null) return m;
    int series = seriesPerMeter(kind);
    if (!f.holders.tryAcquire()) return refused(kind, f, labels, series);
    if (!total.tryAcquire(series)) {
      f.holders.release(1);
      return refused(kind, f, labels, series);
    }
    m = new Meter(kind, labels, false, loops, f.statuses, f.reasons, System.nanoTime());
    f.meters.put(labels, m);
    f.refused.remove(labels);
    return m;
  }

  private Meter refused(MeterKind kind, Family f, List<String> labels, int series) {
    if (f.refused.add(labels)) dropped.addAndGet(series);
    Meter o = f.overflow;
    if (o == null) {
      List<String> overflowLabels = kind.labels.stream().map(l -> OVERFLOW).toList();
      o = new Meter(kind, overflowLabels, true, loops, f.statuses, f.reasons, System.nanoTime());
      f.overflow = o;
    }
    return o;
  }

  /** The meter of {@code kind} with these labels, or null when there is none (it may be in the overflow meter). */
  public @org.jspecify.annotations.Nullable Meter find(MeterKind kind, List<String> labels) {
    return family(kind).meters.get(labels);
  }

  /** Drops the meters of {@code kind} whose labels are not in {@code keep}, giving back their series. */
  public void retain(MeterKind kind, Set<List<String>> keep) {
    Family f = family(kind);
    for (Map.Entry<List<String>, Meter> e : List.copyOf(f.meters.entrySet())) {
      if (!keep.contains(e.getKey())) {
        f.meters.remove(e.getKey());
        giveBack(kind, f, e.getValue());
      }
    }
    f.refused.retainAll(keep);
  }

  /** Drops the meter of {@code kind} with these labels, if there is one, giving back its series. */
  public void release(MeterKind kind, List<String> labels) {
    Family f = family(kind);
    Meter m = f.meters.remove(labels);
    if (m != null) giveBack(kind, f, m);
    f.refused.remove(labels);
  }

  private void giveBack(MeterKind kind, Family f, Meter m) {
    f.holders.release(1);
    total.release(seriesPerMeter(kind));
    m.releaseSeries();
  }

  /** The meters of {@code kind}, overflow last, the others sorted by labels (stable output). */
  public List<Meter> meters(MeterKind kind) {
    Family f = family(kind);
    List<Meter> out = new ArrayList<>(f.meters.values());
    out.sort(BY_LABELS);
    if (f.overflow != null) out.add(f.overflow);
    return out;
  }

  /** Label values compared in order; a family's meters all have as many. */
  private static final Comparator<Meter> BY_LABELS = (a, b) -> {
    for (int i = 0, n = Math.min(a.labels.size(), b.labels.size()); i < n; i++) {
      int c = a.labels.get(i).compareTo(b.labels.get(i));
      if (c != 0) return c;
    }
    return Integer.compare(a.labels.size(), b.labels.size());
  };

  /**
   * Samples every meter's history (the stats sampler's tick). In no particular order: with
   * thousands of routes this runs beside the event loops, often on their core, every few seconds.
   */
  public void sampleHistory(long now) {
    for (Family f : families.values()) {
      for (Meter m : f.meters.values()) m.history.sample(m, now);
      Meter o = f.overflow;
      if (o != null) o.history.sample(o, now);
    }
  }

  /**
   * The samples the stats history holds, over every meter of {@code kind}: what the history costs.
   * Zero for meters that have had no traffic for the longest window, whatever their number.
   */
  public long historySamples(MeterKind kind) {
    Family f = family(kind);
    long n = 0;
    for (Meter m : f.meters.values()) n += m.history.samplesHeld();
    Meter o = f.overflow;
    if (o != null) n += o.history.samplesHeld();
    return n;
  }
}
