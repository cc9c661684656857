package io.sluice.wasm.internal;

import io.sluice.filter.FilterMetrics;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A plugin's metrics ({@code proxy_define_metric} and the calls that use its ids), over the
 * gateway's filter metrics: a counter, gauge or histogram named {@code n} is exported as
 * {@code sluice_filter_wasm_<n>} (a counter with {@code _total}), each character outside
 * {@code [a-zA-Z0-9_]} replaced by {@code _}. The ids are shared by the plugin's VMs on every event
 * loop, so one name is one id and one series whichever VM defined it.
 *
 * <p>Threading: {@link #define} is synchronised (a plugin defines its metrics once, at start or on
 * its first request); {@link #get} reads a published array, lock-free, on the loops.
 */
public final class PluginMetrics {
  static final int COUNTER = 0;
  static final int GAUGE = 1;
  static final int HISTOGRAM = 2;

  /** A defined metric; {@code series} is null for a plugin started only to be validated (nothing is exported). */
  record Metric(int type, String name, @Nullable Object series) {}

  private final @Nullable FilterMetrics metrics;
  private final Map<String, Integer> ids = new HashMap<>();
  private volatile Metric[] byId = new Metric[0];

  /** @param metrics the gateway's filter metrics; null while validating, where the plugin's metrics go nowhere */
  public PluginMetrics(@Nullable FilterMetrics metrics) {
    this.metrics = metrics;
  }

  /** The Prometheus name (without the gateway's prefix) of the plugin's metric {@code name}. */
  static String exportedName(String name) {
    StringBuilder b = new StringBuilder("wasm_");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    return b.toString();
  }

  /**
   * The id of the metric {@code name} of {@code type}, defining it on first use.
   *
   * @throws IllegalArgumentException when the name is empty or taken by another type
   * @throws IllegalStateException when the gateway's series cap is reached
   */
  synchronized int define(int type, String name) {
    if (name.isEmpty()) throw new IllegalArgumentException("a metric needs a name");
    Integer id = ids.get(name);
    if (id != null) {
      if (byId[id].type() != type) throw new IllegalArgumentException("metric " + name + " is defined with another type");
      return id;
    }
    String help = "proxy-wasm plugin metric " + name.replace('\n', ' ');
    Object series = null;
    if (metrics != null) {
      String exported = exportedName(name);
      series = switch (type) {
        case COUNTER -> metrics.counter(exported, help, Map.of());
        case GAUGE -> metrics.gauge(exported, help, Map.of());
        case HISTOGRAM -> metrics.histogram(exported, help, Map.of());
        default -> throw new IllegalArgumentException("metric type " + type + " is not counter (0), gauge (1) or histogram (2)");
      };
    } else if (type < COUNTER || type > HISTOGRAM) {
      throw new IllegalArgumentException("metric type " + type + " is not counter (0), gauge (1) or histogram (2)");
    }
    Metric[] next = Arrays.copyOf(byId, byId.length + 1);
    next[byId.length] = new Metric(type, name, series);
    byId = next;
    ids.put(name, byId.length - 1);
    return byId.length - 1;
  }

  /** The metric with {@code id}, or null if the plugin defined none with it. */
  @Nullable Metric get(int id) {
    Metric[] m = byId;
    return id < 0 || id >= m.length ? null : m[id];
  }
}
