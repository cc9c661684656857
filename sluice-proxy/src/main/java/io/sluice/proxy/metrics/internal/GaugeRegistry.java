package io.sluice.proxy.metrics.internal;

import io.sluice.proxy.metrics.GatewayMetrics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;

/**
 * Gauges other parts of the gateway register (breaker states, endpoint health from a health
 * checker), read at scrape time. Each is capped like every family: samples beyond the cap are summed
 * into one series whose labels read {@value MeterRegistry#OVERFLOW}.
 */
public final class GaugeRegistry {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private record Gauge(String name, String help, List<String> labelNames, GatewayMetrics.GaugeSource source) {}

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GaugeRegistry.class);

  private final Map<String, Gauge> gauges = new ConcurrentSkipListMap<>();
  private final int maxSeries;

  public GaugeRegistry(int maxSeries) {
    this.maxSeries = maxSeries;
  }

  public AutoCloseable register(String name, String help, List<String> labelNames, GatewayMetrics.GaugeSource source) {
    if (name == null || !METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid metric name '" + name + "', expected [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    for (String l : labelNames) {
      if (!LABEL_NAME.matcher(l).matches() || l.startsWith("__")) {
        throw new IllegalArgumentException("invalid label name '" + l + "' for " + name + ", expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
      }
    }
    if (help == null || help.isBlank() || help.contains("\n")) {
      throw new IllegalArgumentException("help of " + name + " must be one non-empty line");
    }
    Gauge g = new Gauge(name, help, List.copyOf(labelNames), java.util.Objects.requireNonNull(source, "source"));
    if (gauges.putIfAbsent(name, g) != null) {
      throw new IllegalArgumentException("a gauge named " + name + " is already registered");
    }
    return () -> gauges.remove(name, g);
  }

  public void write(PrometheusText p) throws IOException {
    for (Gauge g : gauges.values()) {
      List<List<String>> labels = new ArrayList<>();
      List<Double> values = new ArrayList<>();
      double[] overflow = {0};
      boolean[] overflowed = {false};
      try {
        g.source().collect((value, labelValues) -> {
          if (labelValues.length != g.labelNames().size()) {
            throw new IllegalArgumentException(g.name() + " has labels " + g.labelNames() + " but a sample gave "
                + labelValues.length + " value(s)");
          }
          if (labels.size() < maxSeries) {
            labels.add(List.of(labelValues));
            values.add(value);
          } else {
            overflow[0] += value;
            overflowed[0] = true;
          }
        });
      } catch (RuntimeException e) {
        // One broken source must not cost the whole scrape: its family is left out this time.
        log.warn("gauge {} not written: {}", g.name(), e.toString());
        continue;
      }
      p.family(g.name(), "gauge", g.help());
      for (int i = 0; i < labels.size(); i++) p.sample(g.name(), g.labelNames(), labels.get(i), values.get(i));
      if (overflowed[0]) {
        p.sample(g.name(), g.labelNames(), g.labelNames().stream().map(l -> MeterRegistry.OVERFLOW).toList(), overflow[0]);
      }
    }
  }
}
