package io.sluice.proxy.route.internal;

import io.sluice.proxy.route.RequestView;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A route in the form the hot path reads: its rank and the conditions left to check once the
 * path index has offered it as a candidate. Immutable and thread-safe.
 */
public final class CompiledRoute {
  private final int rank;
  private final Object target;
  private final @Nullable Pattern pathRegex;
  private final String[] methods;
  private final KeyCondition[] headers;
  private final KeyCondition[] query;

  /**
   * @param route the parsed route
   * @param rank its position in {@link ParsedRoute#PRECEDENCE} order: lower wins
   */
  public CompiledRoute(ParsedRoute route, int rank) {
    this.rank = rank;
    this.target = route.target();
    this.pathRegex = route.pathRegex();
    this.methods = route.methods().toArray(String[]::new);
    this.headers = route.headers().toArray(KeyCondition[]::new);
    this.query = route.query().toArray(KeyCondition[]::new);
  }

  /** Position in precedence order; lower wins. Unique within a table. */
  int rank() {
    return rank;
  }

  /** What the table returns for this route. */
  public Object target() {
    return target;
  }

  /**
   * Whether the request satisfies the route's conditions other than the path: methods, then
   * headers, then query (cheapest first). The query is read only if the route has query conditions.
   */
  boolean accepts(RequestView request) {
    if (methods.length > 0 && !hasMethod(request.method())) {
      return false;
    }
    for (KeyCondition header : headers) {
      if (!header.testHeader(request)) {
        return false;
      }
    }
    if (query.length > 0) {
      String raw = request.query();
      for (KeyCondition parameter : query) {
        if (!parameter.testQuery(raw)) {
          return false;
        }
      }
    }
    return true;
  }

  /** For a regex route, whether the whole path matches its regex. */
  boolean matchesRegex(String path) {
    return pathRegex != null && pathRegex.matcher(path).matches();
  }

  private boolean hasMethod(String method) {
    for (String m : methods) {
      if (m.equals(method)) {
        return true;
      }
    }
    return false;
  }
}
