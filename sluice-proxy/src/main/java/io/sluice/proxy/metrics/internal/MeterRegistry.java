package io.sluice.proxy.metrics.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every meter of the gateway, by kind and label values. Meters are created at apply time, outlive
 * reloads that keep their object (counters stay monotonic), and are dropped when their object goes.
 *
 * <p>Cardinality: each metric family admits at most {@code maxSeries} label sets. A listener, route
 * or endpoint beyond that shares the kind's overflow meter (every label {@value #OVERFLOW}); a
 * status code beyond it counts as {@code code="other"} of its class, a reason code as
 * {@code reason="other"}, on its own meter.
 *
 * <p>Threading: {@link #listener}, {@link #route}, {@link #endpoint}, {@link #retain} and {@link #release} are called
 * by the (serialised) apply; reading methods from any thread.
 */
public final class MeterRegistry {
  public static final String OVERFLOW = "__overflow__";

  private final int loops;
  private final int maxSeries;
  private final Map<MeterKind, Family> families = new EnumMap<>(MeterKind.class);

  private static final class Family {
    final Map<List<String>, Meter> meters = new ConcurrentHashMap<>();
    final SeriesBudget holders;
    final SeriesBudget statuses;
    final SeriesBudget reasons;
    volatile Meter overflow;

    Family(int max) {
      holders = new SeriesBudget(max);
      statuses = new SeriesBudget(max);
      reasons = new SeriesBudget(max);
    }
  }

  public MeterRegistry(int loops, int maxSeries) {
    if (maxSeries < 1) throw new IllegalArgumentException("maxSeries must be >= 1, got " + maxSeries);
    this.loops = loops;
    this.maxSeries = maxSeries;
    for (MeterKind k : MeterKind.values()) families.put(k, new Family(maxSeries));
  }

  public int maxSeries() {
    return maxSeries;
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
    Family f = families.get(kind);
    Meter m = f.meters.get(labels);
    if (m != null) return m;
    if (!f.holders.tryAcquire()) return overflow(kind, f);
    m = new Meter(kind, labels, false, loops, f.statuses, f.reasons, System.nanoTime());
    f.meters.put(labels, m);
    return m;
  }

  private Meter overflow(MeterKind kind, Family f) {
    Meter o = f.overflow;
    if (o == null) {
      List<String> labels = kind.labels.stream().map(l -> OVERFLOW).toList();
      o = new Meter(kind, labels, true, loops, f.statuses, f.reasons, System.nanoTime());
      f.overflow = o;
    }
    return o;
  }

  /** The meter of {@code kind} with these labels, or null when there is none (it may be in the overflow meter). */
  public @org.jspecify.annotations.Nullable Meter find(MeterKind kind, List<String> labels) {
    return families.get(kind).meters.get(labels);
  }

  /** Drops the meters of {@code kind} whose labels are not in {@code keep}, giving back their series. */
  public void retain(MeterKind kind, Set<List<String>> keep) {
    Family f = families.get(kind);
    for (Map.Entry<List<String>, Meter> e : List.copyOf(f.meters.entrySet())) {
      if (!keep.contains(e.getKey())) {
        f.meters.remove(e.getKey());
        f.holders.release(1);
        e.getValue().releaseSeries();
      }
    }
  }

  /** Drops the meter of {@code kind} with these labels, if there is one, giving back its series. */
  public void release(MeterKind kind, List<String> labels) {
    Family f = families.get(kind);
    Meter m = f.meters.remove(labels);
    if (m != null) {
      f.holders.release(1);
      m.releaseSeries();
    }
  }

  /** The meters of {@code kind}, overflow last, the others sorted by labels (stable output). */
  public List<Meter> meters(MeterKind kind) {
    Family f = families.get(kind);
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
    Family f = families.get(kind);
    long n = 0;
    for (Meter m : f.meters.values()) n += m.history.samplesHeld();
    Meter o = f.overflow;
    if (o != null) n += o.history.samplesHeld();
    return n;
  }
}
