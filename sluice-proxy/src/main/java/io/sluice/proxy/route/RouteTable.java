package io.sluice.proxy.route;

import io.sluice.proxy.route.internal.CompiledRoute;
import io.sluice.proxy.route.internal.ParsedRoute;
import io.sluice.proxy.route.internal.PathIndex;
import io.sluice.proxy.route.internal.RankedRoutes;
import io.sluice.proxy.route.internal.RegionMap;
import io.sluice.proxy.route.internal.StringMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable route table: compiled from a set of routes, or derived from another table with a
 * few routes changed, then matched against requests by any number of threads at once.
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
 * <h2>Updates</h2>
 *
 * {@link #update} derives a table with some routes added, replaced or removed from an existing
 * one, for about the cost of the changed routes alone: ranks leave gaps, so a new route is ranked
 * between its neighbours without re-ranking the others (see {@code RankedRoutes}), and only the
 * host groups of the changed routes are rebuilt, each by path copying (a copy of its exact-path
 * map, or the trie nodes on the route's segment path with their child maps, or its regex array);
 * everything else is shared with the old table. The result matches exactly as {@link #compile}
 * over the same routes would.
 *
 * <h2>Threading</h2>
 *
 * Immutable once {@link #compile} or {@link #update} returns; {@link #match} may be called from
 * any number of threads concurrently, also while another thread derives a new table from the same
 * one with {@code update}. A table is swapped for a new one as a whole, never changed.
 *
 * @param <T> what a route resolves to (the proxy's runtime route)
 */
public final class RouteTable<T> {
  private final StringMap<PathIndex> exactHosts;
  /** Keyed by the wildcard without its {@code *}: {@code .example.com}. */
  private final RegionMap<PathIndex> wildcardHosts;
  private final PathIndex anyHost;
  /** The routes by rank and by name, for {@link #update}; {@link #match} does not read them. */
  private final RankedRoutes routes;

  private RouteTable(
      StringMap<PathIndex> exactHosts, RegionMap<PathIndex> wildcardHosts, PathIndex anyHost, RankedRoutes routes) {
    this.exactHosts = exactHosts;
    this.wildcardHosts = wildcardHosts;
    this.anyHost = anyHost;
    this.routes = routes;
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
    return compile(routes, RankedRoutes.LABEL_BITS);
  }

  /** {@link #compile} with ranks of {@code labelBits} bits: tests use few, so that gaps run out. */
  static <T> RouteTable<T> compile(List<RouteEntry<T>> routes, int labelBits) {
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
    return index(RankedRoutes.of(parsed, labelBits));
  }

  /** Indexes every route from scratch. */
  private static <T> RouteTable<T> index(RankedRoutes ranked) {
    Map<String, PathIndex.Builder> exact = new HashMap<>();
    Map<String, PathIndex.Builder> wildcard = new HashMap<>();
    PathIndex.Builder any = new PathIndex.Builder();
    for (CompiledRoute route : ranked.inRankOrder()) {
      List<String> hosts = route.parsed().hosts();
      if (hosts.isEmpty()) {
        any.add(route);
      }
      for (String host : hosts) {
        if (isWildcard(host)) {
          wildcard.computeIfAbsent(host.substring(1), h -> new PathIndex.Builder()).add(route);
        } else {
          exact.computeIfAbsent(host, h -> new PathIndex.Builder()).add(route);
        }
      }
    }
    return new RouteTable<>(StringMap.of(build(exact)), RegionMap.of(build(wildcard)), any.build(), ranked);
  }

  private static Map<String, PathIndex> build(Map<String, PathIndex.Builder> builders) {
    Map<String, PathIndex> indexes = HashMap.newHashMap(builders.size());
    builders.forEach((host, builder) -> indexes.put(host, builder.build()));
    return indexes;
  }

  private static boolean isWildcard(String host) {
    return host.startsWith("*.");
  }

  /**
   * A table with each of {@code puts} added, or replacing the route of the same name, and each
   * route named in {@code removed} gone; behaves exactly as {@link #compile} over the resulting
   * routes would. This table is not changed (it may be serving requests on other threads).
   *
   * <p>Cost: parsing the puts, O(log n) per changed route to rank it, the changed routes' places
   * in the indexes of their host groups (see the class documentation), two arrays of n entries
   * copied, and the exact-host map's arrays copied if an exact host's group changed. Now and then
   * a route's neighbours in precedence order are re-ranked too (amortised O(log n) of them per
   * added route), and very rarely the whole table is recompiled. At 10,000 routes: tens of
   * microseconds, against ~6 ms for {@link #compile} (RouteTableBenchmark).
   *
   * @param puts new routes, or new versions of routes of the same name, in any order
   * @param removed names of routes to remove
   * @throws IllegalArgumentException as compile() does for a malformed route (naming it), or when
   *     a name in {@code removed} is not in the table, or a name appears twice in {@code puts} or
   *     {@code removed}, or in both; this table is then unchanged
   */
  public RouteTable<T> update(Collection<RouteEntry<T>> puts, Collection<String> removed) {
    Objects.requireNonNull(puts, "puts");
    Objects.requireNonNull(removed, "removed");
    if (puts.isEmpty() && removed.isEmpty()) {
      return this;
    }
    List<ParsedRoute> parsed = new ArrayList<>(puts.size());
    for (RouteEntry<T> entry : puts) {
      Objects.requireNonNull(entry, "puts contains null");
      parsed.add(ParsedRoute.parse(entry));
    }
    RankedRoutes.Change change = routes.update(parsed, removed);
    if (change.renumbered()) {
      return index(change.routes());
    }

    // Sort the removed and added routes by the host groups they are in, then path-copy each group once.
    GroupChange any = new GroupChange();
    Map<String, GroupChange> exact = new HashMap<>();
    Map<String, GroupChange> wildcard = new HashMap<>();
    for (CompiledRoute route : change.removed()) {
      for (GroupChange group : groupsOf(route, any, exact, wildcard)) {
        group.removed.add(route);
      }
    }
    for (CompiledRoute route : change.added()) {
      for (GroupChange group : groupsOf(route, any, exact, wildcard)) {
        group.added.add(route);
      }
    }
    // A group left without routes is dropped, so that its host falls through to the next group.
    Map<String, @Nullable PathIndex> exactChanges = HashMap.newHashMap(exact.size());
    exact.forEach((host, group) -> exactChanges.put(host, group.applyTo(exactHosts.get(host))));
    RegionMap<PathIndex> newWildcards = wildcardHosts;
    for (Map.Entry<String, GroupChange> e : wildcard.entrySet()) {
      PathIndex index = e.getValue().applyTo(wildcardHosts.get(e.getKey()));
      newWildcards = index == null ? newWildcards.without(e.getKey()) : newWildcards.with(e.getKey(), index);
    }
    PathIndex newAny = anyHost;
    if (!any.removed.isEmpty() || !any.added.isEmpty()) {
      PathIndex index = any.applyTo(anyHost);
      newAny = index == null ? PathIndex.EMPTY : index;
    }
    return new RouteTable<>(exactHosts.withChanges(exactChanges), newWildcards, newAny, change.routes());
  }

  /** The changes to one host group's index: old versions of routes to take out, new ones to put in. */
  private static final class GroupChange {
    final List<CompiledRoute> removed = new ArrayList<>();
    final List<CompiledRoute> added = new ArrayList<>();

    /** The group's new index, or null if it has no routes left. */
    @Nullable PathIndex applyTo(@Nullable PathIndex index) {
      PathIndex updated = (index == null ? PathIndex.EMPTY : index).updated(removed, added);
      return updated.isEmpty() ? null : updated;
    }
  }

  private static List<GroupChange> groupsOf(
      CompiledRoute route, GroupChange any, Map<String, GroupChange> exact, Map<String, GroupChange> wildcard) {
    List<String> hosts = route.parsed().hosts();
    if (hosts.isEmpty()) {
      return List.of(any);
    }
    List<GroupChange> groups = new ArrayList<>(hosts.size());
    for (String host : hosts) {
      groups.add(isWildcard(host)
          ? wildcard.computeIfAbsent(host.substring(1), h -> new GroupChange())
          : exact.computeIfAbsent(host, h -> new GroupChange()));
    }
    return groups;
  }

  /** How many routes updates have re-ranked because their neighbours ran out of room (for tests). */
  long relabelledRoutes() {
    return routes.relabelled();
  }

  /** How many updates fell back to recompiling the whole table (for tests). */
  int renumberings() {
    return routes.renumberings();
  }

  /**
   * The target of the route that takes the request, or null if none does (the caller answers 404).
   * Thread-safe; see the class documentation for the rules and the cost.
   */
  @SuppressWarnings("unchecked") // compile() and update() only accept targets of type T
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
