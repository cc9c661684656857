package io.sluice.filters.aggregate;

import io.sluice.filters.common.Values;
import io.sluice.filter.QueryParameters;
import io.sluice.filter.Request;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import org.jspecify.annotations.Nullable;

/**
 * A call's path and query with placeholders, parsed once: {@code /users/{id}/orders?limit={query.limit}}.
 * Immutable. See {@link AggregateConfig.Call#path()} for the placeholders.
 */
final class PathTemplate {
  private enum Source { LITERAL, PATH, QUERY, METHOD, QUERY_PARAM, HEADER, GROUP }

  private record Part(Source source, String text) {}

  private final Part[] parts;

  private PathTemplate(List<Part> parts) {
    this.parts = parts.toArray(Part[]::new);
  }

  /**
   * Parses a template.
   *
   * @param groups the named groups of the path pattern, usable as {@code {name}}
   * @throws IllegalArgumentException saying what is wrong and where
   */
  static PathTemplate parse(String template, Set<String> groups) {
    if (!template.startsWith("/") && !template.startsWith("{path}")) {
      throw new IllegalArgumentException("expected a path starting with '/' or {path}, got '" + template + "'");
    }
    List<Part> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c == '{') {
        int end = template.indexOf('}', i);
        if (end < 0) throw new IllegalArgumentException("unclosed '{' at position " + i + " of '" + template + "'");
        if (!literal.isEmpty()) {
          parts.add(new Part(Source.LITERAL, literal.toString()));
          literal.setLength(0);
        }
        parts.add(placeholder(template.substring(i + 1, end), groups));
        i = end + 1;
      } else if (c == '}') {
        throw new IllegalArgumentException("'}' without '{' at position " + i + " of '" + template + "'");
      } else {
        if (!Values.isPathChar(c) && c != '?') {
          throw new IllegalArgumentException("invalid character '" + c + "' in '" + template + "': percent-encode it");
        }
        literal.append(c);
        i++;
      }
    }
    if (!literal.isEmpty()) parts.add(new Part(Source.LITERAL, literal.toString()));
    return new PathTemplate(parts);
  }

  private static Part placeholder(String name, Set<String> groups) {
    switch (name) {
      case "path" -> {
        return new Part(Source.PATH, name);
      }
      case "query" -> {
        return new Part(Source.QUERY, name);
      }
      case "method" -> {
        return new Part(Source.METHOD, name);
      }
      default -> {
        if (name.startsWith("query.") && name.length() > 6) return new Part(Source.QUERY_PARAM, name.substring(6));
        if (name.startsWith("header.") && name.length() > 7) return new Part(Source.HEADER, name.substring(7));
        if (groups.contains(name)) return new Part(Source.GROUP, name);
        throw new IllegalArgumentException("unknown placeholder {" + name + "}; expected {path}, {query}, {method}, "
            + "{query.NAME}, {header.NAME}" + (groups.isEmpty() ? "" : " or a group of pathPattern: " + String.join(", ", groups.stream().sorted().toList())));
      }
    }
  }

  /** The path and query for {@code request}; reads the request, so call it on the exchange's loop. */
  String render(Request request, @Nullable Matcher groups) {
    StringBuilder b = new StringBuilder(64);
    for (Part p : parts) {
      switch (p.source()) {
        case LITERAL -> b.append(p.text());
        case PATH -> b.append(request.path());
        case QUERY -> b.append(request.query() == null ? "" : request.query());
        case METHOD -> b.append(request.method());
        case QUERY_PARAM -> b.append(encode(QueryParameters.get(request.query(), p.text())));
        case HEADER -> b.append(encode(request.headers().get(p.text())));
        case GROUP -> {
          String v = groups == null ? null : groups.group(p.text());
          if (v != null) b.append(v);
        }
      }
    }
    return b.toString();
  }

  private static String encode(@Nullable String value) {
    return value == null ? "" : URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
