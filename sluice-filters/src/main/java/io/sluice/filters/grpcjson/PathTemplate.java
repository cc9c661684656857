package io.sluice.filters.grpcjson;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A {@code google.api.http} path template ({@code /v1/things/{id}}, {@code /v1/{name=shelves/*}},
 * {@code /v1/files/{path=**}}, an optional {@code :verb}), compiled to segments and matched against
 * request paths. Immutable and thread-safe.
 */
final class PathTemplate {
  /** A variable bound by a match: a field path and the segments it spans. */
  record Variable(String fieldPath, int start, int end) {}

  private final String source;
  private final List<String> segments;
  private final List<Variable> variables;
  private final @Nullable String verb;

  private PathTemplate(String source, List<String> segments, List<Variable> variables, @Nullable String verb) {
    this.source = source;
    this.segments = segments;
    this.variables = variables;
    this.verb = verb;
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException naming what is wrong, when {@code template} is not valid
   */
  static PathTemplate parse(String template) {
    if (!template.startsWith("/")) throw new IllegalArgumentException("path template '" + template + "' must start with /");
    String path = template.substring(1);
    String verb = null;
    int lastSlash = path.lastIndexOf('/');
    int colon = path.indexOf(':', Math.max(lastSlash, path.lastIndexOf('}')));
    if (colon >= 0) {
      verb = path.substring(colon + 1);
      path = path.substring(0, colon);
      if (verb.isEmpty()) throw new IllegalArgumentException("path template '" + template + "' has an empty :verb");
    }
    List<String> segments = new ArrayList<>();
    List<Variable> variables = new ArrayList<>();
    int i = 0;
    while (i <= path.length()) {
      if (i < path.length() && path.charAt(i) == '{') {
        int close = path.indexOf('}', i);
        if (close < 0) throw new IllegalArgumentException("path template '" + template + "' has a '{' without '}'");
        String inside = path.substring(i + 1, close);
        int eq = inside.indexOf('=');
        String field = eq < 0 ? inside : inside.substring(0, eq);
        if (!field.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
          throw new IllegalArgumentException("path template '" + template + "' has an invalid field path '" + field + "'");
        }
        String sub = eq < 0 ? "*" : inside.substring(eq + 1);
        int start = segments.size();
        for (String s : sub.split("/", -1)) {
          if (s.isEmpty() || s.contains("{")) {
            throw new IllegalArgumentException("path template '" + template + "' has an invalid variable '{" + inside + "}'");
          }
          segments.add(s);
        }
        variables.add(new Variable(field, start, segments.size()));
        i = close + 1;
        if (i < path.length() && path.charAt(i) != '/') {
          throw new IllegalArgumentException("path template '" + template + "': a variable must be a whole segment");
        }
        i++;
      } else {
        int slash = path.indexOf('/', i);
        int end = slash < 0 ? path.length() : slash;
        String s = path.substring(i, end);
        if (s.isEmpty() || s.contains("}") || s.contains("=")) {
          throw new IllegalArgumentException("path template '" + template + "' has an invalid segment '" + s + "'");
        }
        segments.add(s);
        i = end + 1;
      }
    }
    for (int s = 0; s < segments.size() - 1; s++) {
      if (segments.get(s).equals("**")) throw new IllegalArgumentException("path template '" + template + "': ** must be last");
    }
    return new PathTemplate(template, List.copyOf(segments), List.copyOf(variables), verb);
  }

  /** The variables, in template order. */
  List<Variable> variables() {
    return variables;
  }

  /**
   * Matches a request path (without query) and returns the value of each variable (in
   * {@link #variables()} order, percent-decoded), or null when the path does not match.
   */
  String @Nullable [] match(String requestPath) {
    if (!requestPath.startsWith("/")) return null;
    String path = requestPath.substring(1);
    if (verb != null) {
      if (!path.endsWith(":" + verb)) return null;
      path = path.substring(0, path.length() - verb.length() - 1);
    }
    String[] parts = path.split("/", -1);
    boolean rest = !segments.isEmpty() && segments.get(segments.size() - 1).equals("**");
    if (rest ? parts.length < segments.size() - 1 : parts.length != segments.size()) return null;
    for (int s = 0; s < segments.size(); s++) {
      String seg = segments.get(s);
      if (seg.equals("**")) break;
      if (seg.equals("*")) {
        if (parts[s].isEmpty()) return null;
      } else if (!seg.equals(parts[s])) {
        return null;
      }
    }
    String[] values = new String[variables.size()];
    for (int v = 0; v < values.length; v++) {
      Variable var = variables.get(v);
      int end = var.end() == segments.size() && rest ? parts.length : var.end();
      values[v] = java.net.URLDecoder.decode(String.join("/", java.util.Arrays.copyOfRange(parts, var.start(), end))
          .replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }
    return values;
  }

  @Override
  public String toString() {
    return source;
  }
}
