package io.sluice.admin.internal;

import io.netty.handler.codec.http.HttpMethod;
import io.sluice.admin.AdminToken;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's routes: method + path template ({@code /api/v1/{kinds}/{name}}) → handler.
 * A literal segment beats a {@code {placeholder}} at the same position, so
 * {@code /api/v1/apply} is never taken for a kind. Immutable once built; thread-safe.
 */
public final class RouteTable {
  /** Handles one request, off the event loop; may block on the store. */
  @FunctionalInterface
  public interface Handler {
    ApiResponse handle(ApiRequest request) throws Exception;
  }

  /**
   * One route.
   *
   * @param queryParameters the query parameters it accepts; any other is a 400 (null: any, unchecked)
   * @param role the role a request needs, from its query parameters (a dry run needs less)
   */
  public record Route(HttpMethod method, String template, @Nullable Set<String> queryParameters,
      Function<Map<String, String>, AdminToken.Role> role, Handler handler) {
    public Route {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(template, "template");
      queryParameters = queryParameters == null ? null : Set.copyOf(queryParameters);
    }
  }

  /** The outcome of matching a request line. */
  public sealed interface Match {}

  /** A route takes it. */
  public record Found(Route route, Map<String, String> pathParameters) implements Match {}

  /** A template matches the path but has no route for the method. */
  public record WrongMethod(List<String> allowed) implements Match {}

  /** No template matches the path. */
  public record NoRoute() implements Match {}

  private record Template(String text, String[] segments, List<Route> routes) {}

  private final List<Template> templates;

  private RouteTable(List<Template> templates) {
    this.templates = templates;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Every route, in the order they were added. */
  public List<Route> routes() {
    return templates.stream().flatMap(t -> t.routes().stream()).toList();
  }

  public Match match(HttpMethod method, String path) {
    String[] segments = split(path);
    Template best = null;
    Map<String, String> bestParams = null;
    for (Template t : templates) {
      Map<String, String> params = matches(t, segments);
      if (params != null && (best == null || moreSpecific(t, best))) {
        best = t;
        bestParams = params;
      }
    }
    if (best == null) return new NoRoute();
    for (Route r : best.routes()) {
      if (r.method().equals(method)) return new Found(r, Map.copyOf(bestParams));
    }
    return new WrongMethod(best.routes().stream().map(r -> r.method().name()).toList());
  }

  private static @Nullable Map<String, String> matches(Template t, String[] segments) {
    if (t.segments().length != segments.length) return null;
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < segments.length; i++) {
      String s = t.segments()[i];
      if (isPlaceholder(s)) {
        if (segments[i].isEmpty()) return null;
        params.put(s.substring(1, s.length() - 1), segments[i]);
      } else if (!s.equals(segments[i])) {
        return null;
      }
    }
    return params;
  }

  /** True when {@code a} has a literal where {@code b} first has a placeholder. */
  private static boolean moreSpecific(Template a, Template b) {
    for (int i = 0; i < a.segments().length; i++) {
      boolean pa = isPlaceholder(a.segments()[i]);
      boolean pb = isPlaceholder(b.segments()[i]);
      if (pa != pb) return !pa;
    }
    return false;
  }

  private static boolean isPlaceholder(String segment) {
    return segment.length() > 2 && segment.startsWith("{") && segment.endsWith("}");
  }

  /** {@code /a/b} → [a, b]; {@code /a/} → [a, ""] (a trailing slash is a different path). */
  private static String[] split(String path) {
    return (path.startsWith("/") ? path.substring(1) : path).split("/", -1);
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final Map<String, Template> templates = new LinkedHashMap<>();

    public Builder add(Route route) {
      if (!route.template().startsWith("/")) {
        throw new IllegalArgumentException("a route path must start with '/', got '" + route.template() + "'");
      }
      Template t = templates.computeIfAbsent(route.template(), p -> new Template(p, split(p), new ArrayList<>()));
      for (Route r : t.routes()) {
        if (r.method().equals(route.method())) {
          throw new IllegalArgumentException(route.method() + " " + route.template() + " is already routed");
        }
      }
      t.routes().add(route);
      return this;
    }

    public RouteTable build() {
      List<Template> frozen = templates.values().stream()
          .map(t -> new Template(t.text(), t.segments(), List.copyOf(t.routes()))).toList();
      return new RouteTable(frozen);
    }
  }
}
