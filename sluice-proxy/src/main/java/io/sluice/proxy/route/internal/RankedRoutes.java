package io.sluice.proxy.route.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A table's routes in precedence order, each with its rank, and by name: what an update needs to
 * rank changed routes without touching the others. Matching does not read it.
 *
 * <h2>Ranks</h2>
 *
 * A rank is a {@code long} in {@code (0, 2^labelBits)} ({@value #LABEL_BITS} bits outside tests).
 * Ranks increase along {@link ParsedRoute#PRECEDENCE} but are not dense: {@link #of} spreads them
 * evenly over the whole space, so a route added later takes a rank in the gap between its two
 * neighbours in precedence order (the middle of it) and no other route changes. A replaced route
 * whose old rank still lies between its new neighbours keeps it, so a change that does not move
 * a route in precedence order (a new target, say) uses up no gap.
 *
 * <p>Bisecting the same gap again and again (routes added in name order between the same two
 * routes, for instance) exhausts it after about {@code log2(2^62 / n)} insertions. Then the routes
 * of the smallest aligned rank range around the gap that is sparse enough get new, evenly spread
 * ranks: the list-labelling scheme of Bender, Cole, Demaine, Farach-Colton and Zito ("Two
 * simplified algorithms for maintaining order in a list", ESA 2002), which relabels O(log n)
 * routes per insertion, amortised. A relabelled route is re-indexed like a changed one. Only if
 * that range would hold more than a quarter of the table is everything renumbered from scratch
 * (the caller then compiles the table anew), which is rare.
 *
 * <h2>Threading</h2>
 *
 * Immutable; {@link #update} returns a new instance and may be called from several threads.
 */
public final class RankedRoutes {
  /** Ranks are below 2^62, so that the difference of two ranks never overflows. */
  public static final int LABEL_BITS = 62;
  private static final long UNRANKED = -1;
  /**
   * How many routes an aligned range of 2^i ranks may hold before it is too dense to relabel into:
   * {@code (2/T)^i} with T = 1.5 (Bender et al. need 1 < T < 2; 2/T = 4/3 still lets 2^62 ranks
   * hold 5·10^7 routes).
   */
  private static final long[] MAX_IN_RANGE = new long[64];

  static {
    for (int i = 0; i < MAX_IN_RANGE.length; i++) {
      MAX_IN_RANGE[i] = (long) Math.pow(4.0 / 3.0, i);
    }
  }

  private final int labelBits;
  /** The routes in rank order, which is precedence order. */
  private final CompiledRoute[] byRank;
  /** {@code ranks[i] == byRank[i].rank()}, apart so that searching by rank does not chase pointers. */
  private final long[] ranks;
  private final ShardedMap<CompiledRoute> byName;
  private final long relabelled;
  private final int renumberings;

  private RankedRoutes(int labelBits, CompiledRoute[] byRank, long[] ranks, ShardedMap<CompiledRoute> byName,
      long relabelled, int renumberings) {
    this.labelBits = labelBits;
    this.byRank = byRank;
    this.ranks = ranks;
    this.byName = byName;
    this.relabelled = relabelled;
    this.renumberings = renumberings;
  }

  /**
   * Ranks routes from scratch, spread evenly over the rank space.
   *
   * @param routes sorted by {@link ParsedRoute#PRECEDENCE}, with distinct names
   * @param labelBits the rank space is {@code (0, 2^labelBits)}: {@value #LABEL_BITS}, or less in
   *     tests that want gaps to run out
   */
  public static RankedRoutes of(List<ParsedRoute> routes, int labelBits) {
    return of(routes, labelBits, 0, 0);
  }

  private static RankedRoutes of(List<ParsedRoute> routes, int labelBits, long relabelled, int renumberings) {
    if (labelBits < 2 || labelBits > LABEL_BITS) {
      throw new IllegalArgumentException("labelBits must be in [2, " + LABEL_BITS + "]: " + labelBits);
    }
    int n = routes.size();
    long step = (1L << labelBits) / (n + 1);
    if (step == 0) {
      throw new IllegalArgumentException(n + " routes do not fit in " + labelBits + "-bit ranks");
    }
    CompiledRoute[] byRank = new CompiledRoute[n];
    long[] ranks = new long[n];
    for (int i = 0; i < n; i++) {
      ranks[i] = step * (i + 1);
      byRank[i] = new CompiledRoute(routes.get(i), ranks[i]);
    }
    return new RankedRoutes(labelBits, byRank, ranks, ShardedMap.of(Arrays.asList(byRank), r -> r.parsed().name()),
        relabelled, renumberings);
  }

  /** The routes, in rank order. */
  public List<CompiledRoute> inRankOrder() {
    return Collections.unmodifiableList(Arrays.asList(byRank));
  }

  /** How many times a route was given a new rank because its neighbours ran out of room (for tests). */
  public long relabelled() {
    return relabelled;
  }

  /** How many times updates fell back to ranking every route from scratch (for tests). */
  public int renumberings() {
    return renumberings;
  }

  /**
   * What an update did: the new ranking and the routes to take out of and put into the indexes.
   *
   * @param routes the routes after the update
   * @param removed routes of the old table that are gone: removed, replaced, or re-ranked
   * @param added routes of the new table that the old one does not have: new, replacements, or re-ranked
   * @param renumbered every route was ranked anew: rebuild every index from {@code routes}
   *     ({@code removed} and {@code added} are then empty)
   */
  public record Change(RankedRoutes routes, List<CompiledRoute> removed, List<CompiledRoute> added, boolean renumbered) {}

  /**
   * Ranks the routes of {@code puts} among the others and drops those named in {@code removed}.
   *
   * @param puts new routes, or new versions of routes of the same name
   * @throws IllegalArgumentException if a name in {@code removed} is not in the table, or a name
   *     appears twice in {@code puts}, twice in {@code removed}, or in both
   */
  public Change update(List<ParsedRoute> puts, Collection<String> removed) {
    Objects.requireNonNull(puts, "puts");
    Objects.requireNonNull(removed, "removed");
    // 1. The old routes that go: removed ones and the old versions of replaced ones.
    Set<String> names = HashSet.newHashSet(puts.size() + removed.size());
    Map<String, @Nullable CompiledRoute> nameChanges = HashMap.newHashMap(puts.size() + removed.size());
    List<CompiledRoute> gone = new ArrayList<>();
    for (String name : removed) {
      Objects.requireNonNull(name, "removed contains null");
      if (!names.add(name)) {
        throw new IllegalArgumentException("route '" + name + "' is removed twice");
      }
      CompiledRoute old = byName.get(name);
      if (old == null) {
        throw new IllegalArgumentException("route '" + name + "' cannot be removed: the table has no such route");
      }
      gone.add(old);
      nameChanges.put(name, null);
    }
    List<ParsedRoute> sortedPuts = new ArrayList<>(puts);
    sortedPuts.sort(ParsedRoute.PRECEDENCE);
    int k = sortedPuts.size();
    long[] oldRanks = new long[k];
    for (int q = 0; q < k; q++) {
      String name = sortedPuts.get(q).name();
      if (!names.add(name)) {
        throw new IllegalArgumentException(nameChanges.containsKey(name)
            ? "route '" + name + "' is both put and removed"
            : "two routes are named '" + name + "'");
      }
      CompiledRoute old = byName.get(name);
      oldRanks[q] = old == null ? UNRANKED : old.rank();
      if (old != null) {
        gone.add(old);
      }
    }

    // 2. The new precedence order: the old one without the gone routes, with the puts inserted
    // at their places (found by binary search); puts are left unranked.
    int[] goneAt = new int[gone.size()];
    for (int g = 0; g < goneAt.length; g++) {
      goneAt[g] = Arrays.binarySearch(ranks, gone.get(g).rank());
    }
    Arrays.sort(goneAt);
    int n = byRank.length;
    int size = n - goneAt.length + k;
    CompiledRoute[] routes = new CompiledRoute[size];
    long[] newRanks = new long[size];
    int[] putAt = new int[k];
    int src = 0;
    int dst = 0;
    int g = 0;
    for (int q = 0; q <= k; q++) {
      int stop = q < k ? insertionPoint(sortedPuts.get(q)) : n;
      while (src < stop) {
        int end = g < goneAt.length && goneAt[g] < stop ? goneAt[g] : stop;
        System.arraycopy(byRank, src, routes, dst, end - src);
        System.arraycopy(ranks, src, newRanks, dst, end - src);
        dst += end - src;
        src = end;
        if (src < stop) {
          src++; // goneAt[g] == src: skip it
          g++;
        }
      }
      if (q < k) {
        putAt[q] = dst;
        newRanks[dst++] = UNRANKED;
      }
    }

    // 3. Ranks for the puts, and new ranks for neighbours where gaps ran out.
    Ranker ranker = new Ranker(newRanks, 1L << labelBits);
    if (!ranker.rank(putAt, oldRanks)) {
      List<ParsedRoute> all = new ArrayList<>(size);
      for (int p = 0, q = 0; p < size; p++) {
        all.add(q < k && putAt[q] == p ? sortedPuts.get(q++) : routes[p].parsed());
      }
      return new Change(of(all, labelBits, relabelled, renumberings + 1), List.of(), List.of(), true);
    }

    // 4. New compiled routes where the rank or the route changed.
    List<CompiledRoute> removedRoutes = new ArrayList<>(gone);
    List<CompiledRoute> addedRoutes = new ArrayList<>(k);
    long moved = 0;
    for (int[] range : ranker.relabelledRanges) {
      for (int p = range[0]; p < range[1]; p++) {
        CompiledRoute old = routes[p];
        // null: a put, compiled below.
        if (old != null && old.rank() != newRanks[p]) {
          routes[p] = old.withRank(newRanks[p]);
          removedRoutes.add(old);
          addedRoutes.add(routes[p]);
          nameChanges.put(old.parsed().name(), routes[p]);
          moved++;
        }
      }
    }
    for (int q = 0; q < k; q++) {
      int p = putAt[q];
      routes[p] = new CompiledRoute(sortedPuts.get(q), newRanks[p]);
      addedRoutes.add(routes[p]);
      nameChanges.put(routes[p].parsed().name(), routes[p]);
    }
    RankedRoutes next = new RankedRoutes(labelBits, routes, newRanks, byName.withChanges(nameChanges),
        relabelled + moved, renumberings);
    return new Change(next, removedRoutes, addedRoutes, false);
  }

  /** Where {@code route} goes in {@link #byRank}: the index of the first route that does not precede it. */
  private int insertionPoint(ParsedRoute route) {
    int low = 0;
    int high = byRank.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      // Equal only to the old version of the same route, which is gone: either side will do.
      if (ParsedRoute.PRECEDENCE.compare(byRank[mid].parsed(), route) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  /**
   * Gives ranks to the unranked entries of an array of ranks that is otherwise increasing. Not
   * thread-safe; one per update.
   */
  private static final class Ranker {
    private final long[] ranks;
    /** Exclusive upper bound of ranks (0 is the exclusive lower one). */
    private final long limit;
    /** [from, to) index ranges whose ranked entries may have been given new ranks. */
    final List<int[]> relabelledRanges = new ArrayList<>();

    Ranker(long[] ranks, long limit) {
      this.ranks = ranks;
      this.limit = limit;
    }

    /**
     * Ranks every entry at {@code unranked} (increasing indexes), preferring {@code preferred}
     * ranks (or {@link #UNRANKED}) where they still fit.
     *
     * @return false if that needs more than a quarter of the entries relabelled: renumber instead
     */
    boolean rank(int[] unranked, long[] preferred) {
      int q = 0;
      while (q < unranked.length) {
        int from = unranked[q];
        if (ranks[from] != UNRANKED) { // ranked by an earlier relabelling
          q++;
          continue;
        }
        // A run of adjacent unranked entries, between two ranked ones (or the ends).
        int to = from;
        while (to < ranks.length && ranks[to] == UNRANKED) {
          to++;
        }
        long low = from == 0 ? 0 : ranks[from - 1];
        long high = to == ranks.length ? limit : ranks[to];
        // Old ranks that still fit, in order, so that unmoved replacements keep theirs.
        long previous = low;
        for (int p = from; p < to; p++, q++) {
          long rank = preferred[q];
          if (rank > previous && rank < high) {
            ranks[p] = rank;
            previous = rank;
          }
        }
        // The rest: spread over the gaps they are in, or relabel where a gap is too small.
        int p = from;
        while (p < to) {
          if (ranks[p] != UNRANKED) {
            p++;
            continue;
          }
          int end = p;
          while (end < to && ranks[end] == UNRANKED) {
            end++;
          }
          long gapLow = p == 0 ? 0 : ranks[p - 1];
          long gapHigh = end == ranks.length ? limit : ranks[end];
          if (gapHigh - gapLow > end - p) {
            spread(p, end, gapLow, gapHigh);
            p = end;
          } else {
            p = relabel(p, end, gapLow);
            if (p < 0) {
              return false;
            }
          }
        }
      }
      return true;
    }

    /** Ranks entries [from, to) evenly in the open interval (low, high), which has room for them. */
    private void spread(int from, int to, long low, long high) {
      long step = (high - low) / (to - from + 1);
      for (int p = from; p < to; p++) {
        ranks[p] = low + step * (p - from + 1);
      }
    }

    /**
     * Re-ranks the smallest aligned range of ranks around {@code low} (the rank before the
     * unranked entries [from, to)) that is sparse enough, with the unranked entries.
     *
     * @return the index after the re-ranked entries, or -1 if they would be more than a quarter of all
     */
    private int relabel(int from, int to, long low) {
      int first = from;
      int end = to;
      for (int bits = 1; (1L << bits) <= limit; bits++) {
        long base = low & -(1L << bits);
        long top = base + (1L << bits);
        while (first > 0 && ranks[first - 1] >= base) {
          first--;
        }
        // Unranked entries after the gap (later puts) are in the range too, if ranked ones around them are.
        while (end < ranks.length && (ranks[end] == UNRANKED || ranks[end] < top)) {
          end++;
        }
        int count = end - first;
        if (count <= MAX_IN_RANGE[bits] && count < (1L << bits)) {
          if (count * 4L > ranks.length) {
            return -1;
          }
          spread(first, end, base, top);
          relabelledRanges.add(new int[] {first, end});
          return end;
        }
      }
      return -1;
    }
  }
}
