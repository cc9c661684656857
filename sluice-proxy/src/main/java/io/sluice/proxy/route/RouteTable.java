package io.sluice.proxy.route;

import io.sluice.proxy.route.internal.CompiledRoute;
import io.sluice.proxy.route.internal.ParsedRoute;
import io.sluice.proxy.route.internal.PathIndex;
import io.sluice.proxy.route.internal.RegionMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable route table: compiled once from a set of routes, then matched against requests by
 * any number of threads at once.
 *
 * <h2>Host selection</h2>
 *
 * The request's host chooses exactly one host group, as Envoy virtual hosts and nginx
 * {@code server_name} do:
 *
 * <ol>
 *   <li>the routes that list the host exactly (route hosts compare case-insensitively);
 *   <li>else the routes of the longest wildcard that matches: {@code *.example.com} matches
 *       {@code a.example.com} and {@code a.b.example.com}, not {@code example.com};
 *   <li>else the routes that list no host.
 * </ol>
 *
 * Only the chosen group is searched: when none of its routes matches, the result is null even if a
 * less specific group has a route that would. A route with several hosts is in several groups.
 *
 * <h2>Paths</h2>
 *
 * <ul>
 *   <li>{@code exact}: the whole path, as is ({@code /a} does not match {@code /a/}).
 *   <li>{@code prefix}: on segment boundaries; {@code /api} matches {@code /api}, {@code /api/} and
 *       {@code /api/x}, not {@code /apix}; a trailing {@code /} of the prefix is ignored; {@code /}
 *       matches every path.
 *   <li>{@code template}: the whole path, where a {@code {name}} placeholder matches exactly one
 *       non-empty segment ({@code /users/{id}} matches {@code /users/7}, not {@code /users/},
 *       {@code /users/7/} or {@code /users/7/x}).
 *   <li>{@code regex}: the whole path must match the Java regular expression.
 * </ul>
 *
 * <h2>Other conditions</h2>
 *
 * Methods compare exactly (case-sensitive). A header condition reads the request's first value of
 * the header: {@code exact} compares case-sensitively, {@code regex} must match the whole value,
 * {@code present} and {@code absent} test for the header. A query condition reads the first
 * occurrence of the parameter in the raw query ({@code a=1&b=&c}: {@code c} is present with the
 * empty value); names and values are percent-decoded as UTF-8, {@code +} as a space, before they
 * are compared.
 *
 * <h2>Precedence</h2>
 *
 * Among the routes of the group whose conditions all hold, the first by these rules wins (the
 * Kubernetes Gateway API's order, with Sluice's priority in front and templates and regexes placed
 * between and after the Gateway API's kinds):
 *
 * <ol>
 *   <li>the higher {@code priority};
 *   <li>the path kind: exact, then template, then prefix, then regex;
 *   <li>between two prefixes, the longer one in segments; between two templates, the one with more
 *       literal (non-placeholder) segments;
 *   <li>a route with methods before one without;
 *   <li>more header conditions;
 *   <li>more query conditions;
 *   <li>the route name, in lexicographic order, so the result never depends on the order in which
 *       routes were given.
 * </ol>
 *
 * <h2>Cost of a match</h2>
 *
 * The order above is computed once, as a rank per route. A match looks the group up by host
 * (a hash lookup per wildcard level, without substrings), then looks in the structures the path
 * reaches: a hash map of exact paths, and a segment trie of prefixes and templates walked along the
 * path's segments. Regex routes are the only ones scanned, in rank order and only while one could
 * still beat the best candidate found, so their cost does not grow with the rest of the table.
 * Methods, headers and query are checked on a candidate only if it would beat the best so far.
 * The query is read only for candidates that have query conditions. A match allocates nothing
 * except what regexes need (a {@code Matcher}) and the decoded text of percent-encoded query
 * parameters that are compared.
 *
 * <h2>Threading</h2>
 *
 * Immutable once {@link #compile} returns; {@link #match} may be called from any number of threads
 * concurrently. A table is swapped for a new one as a whole, never changed.
 *
 * @param <T> what a route resolves to (the proxy's runtime route)
 */
public final class RouteTable<T> {
  private final Map<String, PathIndex> exactHosts;
  /** Keyed by the wildcard without its {@code *}: {@code .example.com}. */
  private final RegionMap<PathIndex> wildcardHosts;
  private final PathIndex anyHost;

  private RouteTable(Map<String, PathIndex> exactHosts, RegionMap<PathIndex> wildcardHosts, PathIndex anyHost) {
    this.exactHosts = exactHosts;
    this.wildcardHosts = wildcardHosts;
    this.anyHost = anyHost;
  }

  /**
   * Compiles a table: checks each route, compiles its regexes, ranks all routes and indexes them.
   * The list is not retained.
   *
   * @param routes routes with unique names, in any order
   * @throws IllegalArgumentException naming the route and the field if a spec is malformed (no
   *     path kind or several, a path not starting with {@code /}, a regex that does not compile, a
   *     misplaced wildcard in a host, ...) or if two routes have the same name
   */
  public static <T> RouteTable<T> compile(List<RouteEntry<T>> routes) {
    Objects.requireNonNull(routes, "routes");
    List<ParsedRoute> parsed = new ArrayList<>(routes.size());
    Set<String> names = HashSet.newHashSet(routes.size());
    for (RouteEntry<T> entry : routes) {
      Objects.requireNonNull(entry, "routes contains null");
      if (!names.add(entry.name())) {
        throw new IllegalArgumentException("two routes are named '" + entry.name() + "'");
      }
      parsed.add(ParsedRoute.parse(entry));
    }
    parsed.sort(ParsedRoute.PRECEDENCE);

    Map<String, PathIndex.Builder> exact = new HashMap<>();
    Map<String, PathIndex.Builder> wildcard = new HashMap<>();
    PathIndex.Builder any = new PathIndex.Builder();
    for (int rank = 0; rank < parsed.size(); rank++) {
      ParsedRoute route = parsed.get(rank);
      CompiledRoute compiled = new CompiledRoute(route, rank);
      if (route.hosts().isEmpty()) {
        any.add(route, compiled);
      }
      for (String host : route.hosts()) {
        if (host.startsWith("*.")) {
          wildcard.computeIfAbsent(host.substring(1), h -> new PathIndex.Builder()).add(route, compiled);
        } else {
          exact.computeIfAbsent(host, h -> new PathIndex.Builder()).add(route, compiled);
        }
      }
    }
    return new RouteTable<>(build(exact), RegionMap.of(build(wildcard)), any.build());
  }

  private static Map<String, PathIndex> build(Map<String, PathIndex.Builder> builders) {
    Map<String, PathIndex> indexes = HashMap.newHashMap(builders.size());
    builders.forEach((host, builder) -> indexes.put(host, builder.build()));
    return indexes;
  }

  /**
   * The target of the route that takes the request, or null if none does (the caller answers 404).
   * Thread-safe; see the class documentation for the rules and the cost.
   */
  @SuppressWarnings("unchecked") // compile() only accepts targets of type T
  public @Nullable T match(RequestView request) {
    String host = request.host();
    PathIndex group = exactHosts.get(host);
    if (group == null) {
      group = longestWildcard(host);
    }
    if (group == null) {
      group = anyHost;
    }
    CompiledRoute route = group.find(request);
    return route == null ? null : (T) route.target();
  }

  private @Nullable PathIndex longestWildcard(String host) {
    if (wildcardHosts.isEmpty()) {
      return null;
    }
    // The leftmost dot gives the longest suffix; a dot at 0 would leave an empty label for '*'.
    for (int dot = host.indexOf('.', 1); dot > 0; dot = host.indexOf('.', dot + 1)) {
      PathIndex group = wildcardHosts.get(host, dot, host.length());
      if (group != null) {
        return group;
      }
    }
    return null;
  }
}
