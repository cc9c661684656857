package io.sluice.proxy.observability;

import io.sluice.proxy.Gateway;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of {@code Gateway.metrics().writePrometheus}, parsed the way Prometheus reads the text
 * format; parsing fails on any line Prometheus would refuse.
 */
final class PrometheusScrape {
  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*)})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

  record Sample(String name, Map<String, String> labels, double value) {}

  final String text;
  final List<Sample> samples = new ArrayList<>();
  final Map<String, String> types = new HashMap<>();

  PrometheusScrape(String text) {
    this.text = text;
    Set<String> seenFamilies = new HashSet<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# HELP ")) continue;
      if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ");
        if (p.length != 4 || !Set.of("counter", "gauge", "histogram").contains(p[3])) throw new AssertionError("bad TYPE line: " + line);
        if (!seenFamilies.add(p[2])) throw new AssertionError("family declared twice: " + p[2]);
        types.put(p[2], p[3]);
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) throw new AssertionError("not a valid sample line: '" + line + "'");
      Map<String, String> labels = new TreeMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      String v = m.group(3);
      double value = v.equals("+Inf") ? Double.POSITIVE_INFINITY : v.equals("NaN") ? Double.NaN : Double.parseDouble(v);
      String family = m.group(1).replaceAll("_(bucket|sum|count)$", "");
      if (!types.containsKey(m.group(1)) && !types.containsKey(family)) {
        throw new AssertionError("sample before its TYPE line: " + line);
      }
      samples.add(new Sample(m.group(1), labels, value));
    }
  }

  static PrometheusScrape of(Gateway gw) {
    StringBuilder sb = new StringBuilder();
    try {
      gw.metrics().writePrometheus(sb);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new PrometheusScrape(sb.toString());
  }

  /** The value of the sample with exactly these labels (name/value pairs), or null when there is none. */
  Double value(String name, String... labels) {
    Map<String, String> want = new TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) want.put(labels[i], labels[i + 1]);
    Double found = null;
    for (Sample s : samples) {
      if (s.name.equals(name) && s.labels.equals(want)) {
        if (found != null) throw new AssertionError("two samples " + name + want);
        found = s.value;
      }
    }
    return found;
  }

  /** Like {@link #value}, 0 when absent (a counter not yet incremented is not written). */
  double count(String name, String... labels) {
    Double v = value(name, labels);
    return v == null ? 0 : v;
  }

  List<Sample> all(String name) {
    return samples.stream().filter(s -> s.name.equals(name)).toList();
  }
}
