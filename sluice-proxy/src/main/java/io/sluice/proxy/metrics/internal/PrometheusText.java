package io.sluice.proxy.metrics.internal;

import java.io.IOException;
import java.util.List;

/**
 * Writes the Prometheus text exposition format (version 0.0.4): {@code # HELP} and {@code # TYPE}
 * lines, then one sample per line, label values escaped.
 *
 * <p>Not thread-safe: one instance per scrape.
 */
public final class PrometheusText {
  private final Appendable out;

  public PrometheusText(Appendable out) {
    this.out = out;
  }

  /** Starts a metric family; {@code type} is counter, gauge or histogram. */
  public void family(String name, String type, String help) throws IOException {
    out.append("# HELP ").append(name).append(' ');
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      if (c == '\\') out.append("\\\\"); else if (c == '\n') out.append("\\n"); else out.append(c);
    }
    out.append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /** One sample; {@code names} and {@code values} pair up, then the optional extra label pairs. */
  public void sample(String name, List<String> names, List<String> values, double value, String... extra)
      throws IOException {
    out.append(name);
    if (!names.isEmpty() || extra.length > 0) {
      out.append('{');
      boolean first = true;
      for (int i = 0; i < names.size(); i++) {
        first = label(first, names.get(i), values.get(i));
      }
      for (int i = 0; i + 1 < extra.length; i += 2) {
        first = label(first, extra[i], extra[i + 1]);
      }
      out.append('}');
    }
    out.append(' ').append(number(value)).append('\n');
  }

  private boolean label(boolean first, String name, String value) throws IOException {
    if (!first) out.append(',');
    out.append(name).append("=\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    out.append('"');
    return false;
  }

  /** Integers without a fraction, others as Java prints them, and the spellings Prometheus expects for the rest. */
  public static String number(double v) {
    if (Double.isNaN(v)) return "NaN";
    if (v == Double.POSITIVE_INFINITY) return "+Inf";
    if (v == Double.NEGATIVE_INFINITY) return "-Inf";
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    return Double.toString(v);
  }

  /** The {@code le} label value of Prometheus bucket {@code i}. */
  static String le(int i) {
    return i < Buckets.PROMETHEUS_SECONDS.length
        ? java.math.BigDecimal.valueOf(Buckets.PROMETHEUS_SECONDS[i]).stripTrailingZeros().toPlainString()
        : "+Inf";
  }
}
