package io.sluice.proxy.route.internal;

import io.sluice.proxy.route.RequestView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The routes of one host group, indexed by path: a hash map for exact paths, a segment trie for
 * prefixes and templates, and a list of regex routes, the only routes that are scanned. Every list
 * is in rank order. Immutable and thread-safe.
 */
public final class PathIndex {
  private static final CompiledRoute[] NONE = new CompiledRoute[0];

  private final Map<String, CompiledRoute[]> exact;
  private final Node root;
  private final CompiledRoute[] regex;

  private PathIndex(Map<String, CompiledRoute[]> exact, Node root, CompiledRoute[] regex) {
    this.exact = exact;
    this.root = root;
    this.regex = regex;
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
    private final RegionMap<Node> literals;
    private final @Nullable Node placeholder;
    private final CompiledRoute[] prefixes;
    private final CompiledRoute[] templates;
    /** The lowest rank in this subtree, to skip subtrees that cannot beat the best so far. */
    private final int minRank;

    private Node(
        RegionMap<Node> literals,
        @Nullable Node placeholder,
        CompiledRoute[] prefixes,
        CompiledRoute[] templates,
        int minRank) {
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
  }

  /** Collects a group's routes; they must be added in rank order. Not thread-safe. */
  public static final class Builder {
    private final Map<String, List<CompiledRoute>> exact = new HashMap<>();
    private final NodeBuilder root = new NodeBuilder();
    private final List<CompiledRoute> regex = new ArrayList<>();

    /** Adds a route; must be called in rank order, so that every list stays sorted by rank. */
    public void add(ParsedRoute parsed, CompiledRoute route) {
      switch (parsed.kind()) {
        case EXACT -> exact.computeIfAbsent(parsed.path(), p -> new ArrayList<>()).add(route);
        case PREFIX -> root.descend(parsed.segments()).prefixes.add(route);
        case TEMPLATE -> root.descend(parsed.segments()).templates.add(route);
        case REGEX -> regex.add(route);
      }
    }

    /** The index of the routes added so far. */
    public PathIndex build() {
      Map<String, CompiledRoute[]> exactArrays = HashMap.newHashMap(exact.size());
      exact.forEach((path, routes) -> exactArrays.put(path, routes.toArray(NONE)));
      return new PathIndex(exactArrays, root.build(), regex.toArray(NONE));
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

    Node build() {
      int minRank = Integer.MAX_VALUE;
      if (!prefixes.isEmpty()) {
        minRank = prefixes.get(0).rank();
      }
      if (!templates.isEmpty()) {
        minRank = Math.min(minRank, templates.get(0).rank());
      }
      Map<String, Node> children = HashMap.newHashMap(literals.size());
      for (Map.Entry<String, NodeBuilder> e : literals.entrySet()) {
        Node child = e.getValue().build();
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
