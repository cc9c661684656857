package io.sluice.proxy.route.internal;

import io.sluice.proxy.route.RequestView;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A route in the form the hot path reads: its rank and the conditions left to check once the
 * path index has offered it as a candidate. Also keeps the route's {@link ParsedRoute}, which
 * matching does not read: a table update needs it to find the route's host groups and trie node
 * when it removes or re-ranks the route. Immutable and thread-safe.
 */
public final class CompiledRoute {
  private final long rank;
  private final ParsedRoute parsed;
  private final Object target;
  private final @Nullable Pattern pathRegex;
  private final String[] methods;
  private final KeyCondition[] headers;
  private final KeyCondition[] query;

  /**
   * @param route the parsed route
   * @param rank its place in {@link ParsedRoute#PRECEDENCE} order: lower wins (see {@link RankedRoutes})
   */
  CompiledRoute(ParsedRoute route, long rank) {
    this.rank = rank;
    this.parsed = route;
    this.target = route.target();
    this.pathRegex = route.pathRegex();
    this.methods = route.methods().toArray(String[]::new);
    this.headers = route.headers().toArray(KeyCondition[]::new);
    this.query = route.query().toArray(KeyCondition[]::new);
  }

  private CompiledRoute(CompiledRoute route, long rank) {
    this.rank = rank;
    this.parsed = route.parsed;
    this.target = route.target;
    this.pathRegex = route.pathRegex;
    this.methods = route.methods;
    this.headers = route.headers;
    this.query = route.query;
  }

  /** The same route with another rank (when its neighbours are re-ranked). */
  CompiledRoute withRank(long newRank) {
    return new CompiledRoute(this, newRank);
  }

  /**
   * Its place in precedence order; lower wins. Unique within a table, not dense: ranks leave
   * gaps so that a route added later can be ranked between two others (see {@link RankedRoutes}).
   */
  long rank() {
    return rank;
  }

  /** The route as parsed: name, hosts, path and precedence keys. */
  public ParsedRoute parsed() {
    return parsed;
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
