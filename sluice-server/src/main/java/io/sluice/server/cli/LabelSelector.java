package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A label selector as kubectl's {@code -l} takes it: requirements separated by commas, all of which
 * must hold: {@code key=value} (also {@code key==value}), {@code key!=value} (the label is not that
 * value, or not set), and {@code key} (the label is set).
 */
record LabelSelector(List<Requirement> requirements) {
  static final LabelSelector ALL = new LabelSelector(List.of());
  private static final Pattern KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");

  /** One requirement: {@code value} null means "the label is set". */
  record Requirement(String key, @Nullable String value, boolean equal) {
    boolean matches(JsonNode labels) {
      JsonNode v = labels.path(key);
      if (value == null) return v.isTextual();
      return equal == (v.isTextual() && v.asText().equals(value));
    }
  }

  /** Parses {@code -l}; a usage error (exit 2) naming the part that is not a requirement. */
  static LabelSelector parse(String text) {
    List<Requirement> out = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String p = part.strip();
      Requirement r;
      int ne = p.indexOf("!=");
      int eq = p.indexOf('=');
      if (ne > 0) {
        r = new Requirement(p.substring(0, ne).strip(), p.substring(ne + 2).strip(), false);
      } else if (eq > 0) {
        String value = p.substring(p.startsWith("==", eq) ? eq + 2 : eq + 1).strip();
        r = new Requirement(p.substring(0, eq).strip(), value, true);
      } else {
        r = new Requirement(p, null, true);
      }
      if (!KEY.matcher(r.key()).matches()) {
        throw new CliException(2, List.of("error: -l " + text + ": '" + part + "' is not a label requirement;"
            + " expected KEY=VALUE, KEY!=VALUE or KEY, separated by commas"));
      }
      out.add(r);
    }
    return new LabelSelector(List.copyOf(out));
  }

  /** Whether {@code labels} (an object's {@code metadata.labels}, possibly missing) meets every requirement. */
  boolean matches(JsonNode labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) return false;
    }
    return true;
  }
}
