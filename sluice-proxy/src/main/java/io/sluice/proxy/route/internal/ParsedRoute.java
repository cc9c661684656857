package io.sluice.proxy.route.internal;

import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.proxy.route.RouteEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * A route checked and taken apart for compilation: normalised hosts and path, its precedence keys
 * and its compiled conditions. A table keeps it (in its {@link CompiledRoute}) so that an update
 * can find where the route is indexed without the caller's spec.
 *
 * @param name the route's name, unique in a table
 * @param target what the table returns when the route matches
 * @param hosts lower-cased, without duplicates; {@code *.example.com} for wildcards; empty for any host
 * @param priority higher wins
 * @param kind how the path is matched
 * @param path the exact path, the prefix without its trailing {@code /} (except {@code /}), the
 *     template, or the regex
 * @param segments the segments of a prefix or template ({@code {x}} for placeholders), else empty
 * @param specificity for a prefix its segment count, for a template its literal segment count, else 0
 */
public record ParsedRoute(
    String name,
    Object target,
    List<String> hosts,
    int priority,
    PathKind kind,
    String path,
    List<String> segments,
    @Nullable Pattern pathRegex,
    int specificity,
    List<String> methods,
    List<KeyCondition> headers,
    List<KeyCondition> query) {

  /**
   * The precedence order among routes that all match a request, most preferred first; a total
   * order when names are unique (the order and its reasons are in RouteTable's documentation).
   */
  public static final Comparator<ParsedRoute> PRECEDENCE = ParsedRoute::comparePrecedence;

  private static int comparePrecedence(ParsedRoute a, ParsedRoute b) {
    int c = Integer.compare(b.priority, a.priority);
    if (c == 0) {
      c = a.kind.compareTo(b.kind);
    }
    if (c == 0) {
      c = Integer.compare(b.specificity, a.specificity);
    }
    if (c == 0) {
      c = Boolean.compare(!b.methods.isEmpty(), !a.methods.isEmpty());
    }
    if (c == 0) {
      c = Integer.compare(b.headers.size(), a.headers.size());
    }
    if (c == 0) {
      c = Integer.compare(b.query.size(), a.query.size());
    }
    return c != 0 ? c : a.name.compareTo(b.name);
  }

  /**
   * Checks and takes apart one entry.
   *
   * @throws IllegalArgumentException naming the route and the field if the spec is malformed
   */
  public static ParsedRoute parse(RouteEntry<?> entry) {
    String name = entry.name();
    RouteSpec spec = entry.spec();
    RouteMatch match = spec.match();
    PathMatch pathMatch = match.path();
    int kinds = (pathMatch.exact() != null ? 1 : 0)
        + (pathMatch.prefix() != null ? 1 : 0)
        + (pathMatch.regex() != null ? 1 : 0)
        + (pathMatch.template() != null ? 1 : 0);
    if (kinds != 1) {
      throw invalid(name, "match.path must set exactly one of exact, prefix, regex, template (has " + kinds + ")");
    }
    PathKind kind;
    String path;
    List<String> segments = List.of();
    Pattern pathRegex = null;
    int specificity = 0;
    if (pathMatch.exact() != null) {
      kind = PathKind.EXACT;
      path = requireAbsolute(name, "exact", pathMatch.exact());
    } else if (pathMatch.prefix() != null) {
      kind = PathKind.PREFIX;
      String prefix = requireAbsolute(name, "prefix", pathMatch.prefix());
      // "/api/" and "/api" name the same segment boundary.
      path = prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
      segments = segments(path);
      specificity = segments.size();
    } else if (pathMatch.template() != null) {
      kind = PathKind.TEMPLATE;
      path = requireAbsolute(name, "template", pathMatch.template());
      segments = segments(path);
      for (String segment : segments) {
        if (isPlaceholder(segment)) {
          continue;
        }
        if (segment.indexOf('{') >= 0 || segment.indexOf('}') >= 0) {
          throw invalid(name, "match.path.template '" + path + "': segment '" + segment
              + "' must be a literal or a whole-segment {name} placeholder");
        }
        specificity++;
      }
    } else {
      kind = PathKind.REGEX;
      path = Objects.requireNonNull(pathMatch.regex()); // exactly one of the four is set
      try {
        pathRegex = Pattern.compile(path);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "route '" + name + "': match.path.regex is invalid: " + e.getMessage(), e);
      }
    }
    List<KeyCondition> headers = new ArrayList<>(match.headers().size());
    for (KeyMatch header : match.headers()) {
      headers.add(KeyCondition.header(name, header));
    }
    List<KeyCondition> query = new ArrayList<>(match.query().size());
    for (KeyMatch parameter : match.query()) {
      query.add(KeyCondition.query(name, parameter));
    }
    for (String method : match.methods()) {
      if (method.isBlank()) {
        throw invalid(name, "match.methods has an empty method");
      }
    }
    return new ParsedRoute(name, entry.target(), hosts(name, spec.hosts()), spec.priority(), kind, path,
        segments, pathRegex, specificity, match.methods(), List.copyOf(headers), List.copyOf(query));
  }

  /** Whether a template segment is a {@code {name}} placeholder. */
  static boolean isPlaceholder(String segment) {
    return segment.length() > 2
        && segment.charAt(0) == '{'
        && segment.indexOf('}') == segment.length() - 1
        && segment.indexOf('{', 1) < 0;
  }

  /**
   * The segments of an absolute path, split as the matcher walks a request path: {@code /} has
   * none, {@code /a/} has {@code a} and an empty one, {@code /a//b} has an empty one in the middle.
   */
  private static List<String> segments(String path) {
    return path.length() == 1 ? List.of() : List.of(path.substring(1).split("/", -1));
  }

  private static List<String> hosts(String route, List<String> hosts) {
    Set<String> normalised = new LinkedHashSet<>();
    for (String host : hosts) {
      if (host.isBlank()) {
        throw invalid(route, "hosts has an empty host");
      }
      String lower = host.toLowerCase(Locale.ROOT);
      int star = lower.lastIndexOf('*');
      if (star > 0 || (star == 0 && (lower.length() < 3 || lower.charAt(1) != '.'))) {
        throw invalid(route, "host '" + host
            + "': a wildcard must be a leading '*.' followed by a domain, e.g. *.example.com"
            + " (leave hosts empty to match any host)");
      }
      normalised.add(lower);
    }
    return List.copyOf(normalised);
  }

  private static String requireAbsolute(String route, String field, String path) {
    if (!path.startsWith("/")) {
      throw invalid(route, "match.path." + field + " '" + path + "' must start with /");
    }
    return path;
  }

  private static IllegalArgumentException invalid(String route, String message) {
    return new IllegalArgumentException("route '" + route + "': " + message);
  }
}
