package io.sluice.proxy.route.internal;

import io.sluice.proxy.route.RequestView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The routes of one host group, indexed by path: a hash map for exact paths, a segment trie for
 * prefixes and templates, and a list of regex routes, the only routes that are scanned. Every list
 * is in rank order. Immutable and thread-safe.
 *
 * <p>Built in one go by a {@link Builder} when a table is compiled; {@link #updated} then derives a
 * changed copy by path copying: only the exact-path entries, the trie nodes on the changed routes'
 * segment paths (and their parents' child maps) and the regex array are new, everything else is
 * shared with this index.
 */
public final class PathIndex {
  private static final CompiledRoute[] NONE = new CompiledRoute[0];
  /** A group without routes; {@link #updated} starts from it for a host that had none. */
  public static final PathIndex EMPTY = new PathIndex(new HashMap<>(), Node.EMPTY, NONE, 0);

  /**
   * A plain HashMap, never changed once the index is published: {@link #updated} copies it when
   * exact paths change (O(exact paths of this group)), because every request looks a path up
   * here and HashMap's lookups were measurably faster than those of maps that copy less.
   */
  private final HashMap<String, CompiledRoute[]> exact;
  private final Node root;
  private final CompiledRoute[] regex;
  /** How many routes the group has; 0 lets the table drop the group. */
  private final int size;

  private PathIndex(HashMap<String, CompiledRoute[]> exact, Node root, CompiledRoute[] regex, int size) {
    this.exact = exact;
    this.root = root;
    this.regex = regex;
    this.size = size;
  }

  /**
   * The best-ranked route of this group that matches the request, or null. Allocates nothing but
   * what regex and escaped-query conditions need.
   */
  public @Nullable CompiledRoute find(RequestView request) {
    String path = request.path();
    CompiledRoute best = firstAccepted(exact.get(path), request, null);
    // "/" has no segments; any other path starts with the '/' before its first segment.
    best = root.find(path, path.length() == 1 ? 1 : 0, request, best);
    for (CompiledRoute route : regex) {
      if (best != null && route.rank() >= best.rank()) {
        break;
      }
      if (route.matchesRegex(path) && route.accepts(request)) {
        return route;
      }
    }
    return best;
  }

  /** Whether the group has no routes. */
  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * A copy of this index without the routes of {@code removed} and with those of {@code added}.
   * Cost: per route, its exact-path entry (and one copy of the group's exact-path map), or the
   * trie nodes on its segment path (copying each one's child map), or the regex array. This index
   * is not changed.
   *
   * @param removed routes of this index (the same objects)
   * @param added routes not in this index; a route's old and new version may be removed and added
   *     at once, even with the same rank
   * @throws IllegalStateException if a removed route is not in the index
   */
  public PathIndex updated(List<CompiledRoute> removed, List<CompiledRoute> added) {
    // Exact paths: the new array of each touched path, applied to the map once at the end.
    Map<String, CompiledRoute[]> exactChanges = new HashMap<>();
    Node newRoot = root;
    CompiledRoute[] newRegex = regex;
    for (CompiledRoute route : removed) {
      ParsedRoute parsed = route.parsed();
      switch (parsed.kind()) {
        case EXACT -> exactChanges.put(parsed.path(), without(exactRoutes(exactChanges, parsed.path()), route));
        case PREFIX, TEMPLATE -> {
          Node node = newRoot.without(parsed.segments(), 0, route);
          newRoot = node == null ? Node.EMPTY : node;
        }
        case REGEX -> newRegex = without(newRegex, route);
      }
    }
    for (CompiledRoute route : added) {
      ParsedRoute parsed = route.parsed();
      switch (parsed.kind()) {
        case EXACT -> exactChanges.put(parsed.path(), with(exactRoutes(exactChanges, parsed.path()), route));
        case PREFIX, TEMPLATE -> newRoot = newRoot.with(parsed.segments(), 0, route);
        case REGEX -> newRegex = with(newRegex, route);
      }
    }
    int newSize = size - removed.size() + added.size();
    if (newSize == 0) {
      return EMPTY;
    }
    HashMap<String, CompiledRoute[]> newExact = exact;
    if (!exactChanges.isEmpty()) {
      newExact = new HashMap<>(exact);
      for (Map.Entry<String, CompiledRoute[]> change : exactChanges.entrySet()) {
        // A path left without routes is removed, as compile would never have added it.
        if (change.getValue().length == 0) {
          newExact.remove(change.getKey());
        } else {
          newExact.put(change.getKey(), change.getValue());
        }
      }
    }
    return new PathIndex(newExact, newRoot, newRegex, newSize);
  }

  private CompiledRoute[] exactRoutes(Map<String, CompiledRoute[]> changed, String path) {
    CompiledRoute[] routes = changed.containsKey(path) ? changed.get(path) : exact.get(path);
    return routes == null ? NONE : routes;
  }

  /** A copy of {@code routes} (in rank order) with {@code route} inserted in rank order. */
  private static CompiledRoute[] with(CompiledRoute[] routes, CompiledRoute route) {
    int at = 0;
    while (at < routes.length && routes[at].rank() < route.rank()) {
      at++;
    }
    CompiledRoute[] copy = new CompiledRoute[routes.length + 1];
    System.arraycopy(routes, 0, copy, 0, at);
    copy[at] = route;
    System.arraycopy(routes, at, copy, at + 1, routes.length - at);
    return copy;
  }

  /** A copy of {@code routes} without {@code route} (the same object). */
  private static CompiledRoute[] without(CompiledRoute[] routes, CompiledRoute route) {
    for (int i = 0; i < routes.length; i++) {
      if (routes[i] == route) {
        if (routes.length == 1) {
          return NONE;
        }
        CompiledRoute[] copy = new CompiledRoute[routes.length - 1];
        System.arraycopy(routes, 0, copy, 0, i);
        System.arraycopy(routes, i + 1, copy, i, routes.length - i - 1);
        return copy;
      }
    }
    throw new IllegalStateException("route '" + route.parsed().name() + "' is not where its path puts it");
  }

  /** The first route of {@code routes} (in rank order) that beats {@code best} and accepts the request. */
  private static @Nullable CompiledRoute firstAccepted(
      CompiledRoute @Nullable [] routes, RequestView request, @Nullable CompiledRoute best) {
    if (routes != null) {
      for (CompiledRoute route : routes) {
        if (best != null && route.rank() >= best.rank()) {
          break;
        }
        if (route.accepts(request)) {
          return route;
        }
      }
    }
    return best;
  }

  /** A trie node: one per distinct segment sequence of the group's prefixes and templates. */
  private static final class Node {
    // Not PathIndex.NONE: if Node were initialised first, reading it would initialise PathIndex,
    // whose EMPTY would then be built with this field still null.
    static final Node EMPTY =
        new Node(RegionMap.empty(), null, new CompiledRoute[0], new CompiledRoute[0], Long.MAX_VALUE);

    private final RegionMap<Node> literals;
    private final @Nullable Node placeholder;
    private final CompiledRoute[] prefixes;
    private final CompiledRoute[] templates;
    /** The lowest rank in this subtree, to skip subtrees that cannot beat the best so far. */
    private final long minRank;

    private Node(
        RegionMap<Node> literals,
        @Nullable Node placeholder,
        CompiledRoute[] prefixes,
        CompiledRoute[] templates,
        long minRank) {
      this.literals = literals;
      this.placeholder = placeholder;
      this.prefixes = prefixes;
      this.templates = templates;
      this.minRank = minRank;
    }

    /**
     * Offers the routes of this subtree that match the rest of the path.
     *
     * @param slash where the rest of the path starts: the {@code '/'} before the next segment, or
     *     the path's length when all segments are consumed
     */
    @Nullable CompiledRoute find(String path, int slash, RequestView request, @Nullable CompiledRoute best) {
      if (best != null && minRank >= best.rank()) {
        return best;
      }
      best = firstAccepted(prefixes, request, best);
      int length = path.length();
      if (slash == length) {
        return firstAccepted(templates, request, best);
      }
      int start = slash + 1;
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = length;
      }
      Node literal = literals.isEmpty() ? null : literals.get(path, start, end);
      if (literal != null) {
        best = literal.find(path, end, request, best);
      }
      // Both branches: the literal one may hold no match, or only a worse-ranked one.
      if (placeholder != null && end > start) {
        best = placeholder.find(path, end, request, best);
      }
      return best;
    }

    /** A copy of this subtree with {@code route} added at the node {@code segments[depth..]} lead to. */
    Node with(List<String> segments, int depth, CompiledRoute route) {
      long newMin = Math.min(minRank, route.rank());
      if (depth == segments.size()) {
        return route.parsed().kind() == PathKind.PREFIX
            ? new Node(literals, placeholder, PathIndex.with(prefixes, route), templates, newMin)
            : new Node(literals, placeholder, prefixes, PathIndex.with(templates, route), newMin);
      }
      String segment = segments.get(depth);
      if (ParsedRoute.isPlaceholder(segment)) {
        Node child = placeholder == null ? EMPTY : placeholder;
        return new Node(literals, child.with(segments, depth + 1, route), prefixes, templates, newMin);
      }
      Node child = literals.get(segment);
      Node newChild = (child == null ? EMPTY : child).with(segments, depth + 1, route);
      return new Node(literals.with(segment, newChild), placeholder, prefixes, templates, newMin);
    }

    /**
     * A copy of this subtree without {@code route}, or null if no route is left in it (so that the
     * parent drops it, as compile would never have created it).
     */
    @Nullable Node without(List<String> segments, int depth, CompiledRoute route) {
      RegionMap<Node> newLiterals = literals;
      Node newPlaceholder = placeholder;
      CompiledRoute[] newPrefixes = prefixes;
      CompiledRoute[] newTemplates = templates;
      if (depth == segments.size()) {
        if (route.parsed().kind() == PathKind.PREFIX) {
          newPrefixes = PathIndex.without(prefixes, route);
        } else {
          newTemplates = PathIndex.without(templates, route);
        }
      } else {
        String segment = segments.get(depth);
        boolean isPlaceholder = ParsedRoute.isPlaceholder(segment);
        Node child = isPlaceholder ? placeholder : literals.get(segment);
        if (child == null) {
          throw new IllegalStateException("route '" + route.parsed().name() + "' is not where its path puts it");
        }
        Node newChild = child.without(segments, depth + 1, route);
        if (isPlaceholder) {
          newPlaceholder = newChild;
        } else {
          newLiterals = newChild == null ? literals.without(segment) : literals.with(segment, newChild);
        }
      }
      if (newPrefixes.length == 0 && newTemplates.length == 0 && newPlaceholder == null && newLiterals.isEmpty()) {
        return null;
      }
      // Removing a route lowers nothing; only removing the subtree's best one needs a new minimum.
      long newMin = route.rank() > minRank ? minRank : minRank(newLiterals, newPlaceholder, newPrefixes, newTemplates);
      return new Node(newLiterals, newPlaceholder, newPrefixes, newTemplates, newMin);
    }

    private static long minRank(
        RegionMap<Node> literals, @Nullable Node placeholder, CompiledRoute[] prefixes, CompiledRoute[] templates) {
      long min = Long.MAX_VALUE;
      if (prefixes.length > 0) {
        min = prefixes[0].rank();
      }
      if (templates.length > 0) {
        min = Math.min(min, templates[0].rank());
      }
      if (placeholder != null) {
        min = Math.min(min, placeholder.minRank);
      }
      for (Node child : literals.values()) {
        min = Math.min(min, child.minRank);
      }
      return min;
    }
  }

  /** Collects a group's routes; they must be added in rank order. Not thread-safe. */
  public static final class Builder {
    private final Map<String, List<CompiledRoute>> exact = new HashMap<>();
    private final NodeBuilder root = new NodeBuilder();
    private final List<CompiledRoute> regex = new ArrayList<>();
    private int size;

    /** Adds a route; must be called in rank order, so that every list stays sorted by rank. */
    public void add(CompiledRoute route) {
      ParsedRoute parsed = route.parsed();
      switch (parsed.kind()) {
        case EXACT -> exact.computeIfAbsent(parsed.path(), p -> new ArrayList<>()).add(route);
        case PREFIX -> root.descend(parsed.segments()).prefixes.add(route);
        case TEMPLATE -> root.descend(parsed.segments()).templates.add(route);
        case REGEX -> regex.add(route);
      }
      size++;
    }

    /** The index of the routes added so far. */
    public PathIndex build() {
      if (size == 0) {
        return EMPTY;
      }
      HashMap<String, CompiledRoute[]> exactArrays = HashMap.newHashMap(exact.size());
      exact.forEach((path, routes) -> exactArrays.put(path, routes.toArray(NONE)));
      Node builtRoot = root.build();
      return new PathIndex(exactArrays, builtRoot == null ? Node.EMPTY : builtRoot,
          regex.toArray(NONE), size);
    }
  }

  private static final class NodeBuilder {
    private final Map<String, NodeBuilder> literals = new HashMap<>();
    private @Nullable NodeBuilder placeholder;
    private final List<CompiledRoute> prefixes = new ArrayList<>(1);
    private final List<CompiledRoute> templates = new ArrayList<>(1);

    NodeBuilder descend(List<String> segments) {
      NodeBuilder node = this;
      for (String segment : segments) {
        if (ParsedRoute.isPlaceholder(segment)) {
          if (node.placeholder == null) {
            node.placeholder = new NodeBuilder();
          }
          node = node.placeholder;
        } else {
          node = node.literals.computeIfAbsent(segment, s -> new NodeBuilder());
        }
      }
      return node;
    }

    /** The node, or null for the root of a group without prefixes or templates (every other node has a route below it). */
    @Nullable Node build() {
      if (prefixes.isEmpty() && templates.isEmpty() && placeholder == null && literals.isEmpty()) {
        return null;
      }
      long minRank = Long.MAX_VALUE;
      if (!prefixes.isEmpty()) {
        minRank = prefixes.get(0).rank();
      }
      if (!templates.isEmpty()) {
        minRank = Math.min(minRank, templates.get(0).rank());
      }
      Map<String, Node> children = HashMap.newHashMap(literals.size());
      for (Map.Entry<String, NodeBuilder> e : literals.entrySet()) {
        // a literal child holds a route or a deeper literal, so it builds a node
        Node child = Objects.requireNonNull(e.getValue().build());
        children.put(e.getKey(), child);
        minRank = Math.min(minRank, child.minRank);
      }
      Node placeholderNode = placeholder == null ? null : placeholder.build();
      if (placeholderNode != null) {
        minRank = Math.min(minRank, placeholderNode.minRank);
      }
      return new Node(RegionMap.of(children), placeholderNode, prefixes.toArray(NONE), templates.toArray(NONE), minRank);
    }
  }
}
