package io.sluice.proxy.route;

import static io.sluice.api.route.PathMatch.exact;
import static io.sluice.api.route.PathMatch.prefix;
import static io.sluice.api.route.PathMatch.regex;
import static io.sluice.api.route.PathMatch.template;
import static io.sluice.proxy.route.TestRequest.get;
import static io.sluice.proxy.route.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTableUpdateTest {

  private static RouteTable<String> table(TestRoute... routes) {
    return RouteTable.compile(entries(routes));
  }

  private static List<RouteEntry<String>> entries(TestRoute... routes) {
    return Arrays.stream(routes).map(TestRoute::entry).toList();
  }

  private static List<String> names(String... names) {
    return List.of(names);
  }

  // Targeted behaviour

  @Test
  void addedRouteMatches() {
    RouteTable<String> t = table(route("a", prefix("/a")));

    RouteTable<String> updated = t.update(entries(route("b", exact("/b"))), names());

    assertThat(updated.match(get("/b"))).isEqualTo("b");
    assertThat(updated.match(get("/a/x"))).isEqualTo("a");
  }

  @Test
  void priorityChangeMovesRouteAheadOfAnother() {
    RouteTable<String> t = table(
        route("a-first", prefix("/api")),
        route("b-second", prefix("/api")));
    assertThat(t.match(get("/api/x"))).isEqualTo("a-first");

    RouteTable<String> updated = t.update(entries(route("b-second", prefix("/api")).priority(1)), names());

    assertThat(updated.match(get("/api/x"))).isEqualTo("b-second");
  }

  @Test
  void priorityChangeMovesRouteBehindAnotherOfAnotherKind() {
    RouteTable<String> t = table(
        route("exact", exact("/a/b")).priority(2),
        route("prefix", prefix("/a")).priority(1));
    assertThat(t.match(get("/a/b"))).isEqualTo("exact");

    RouteTable<String> updated = t.update(entries(route("exact", exact("/a/b"))), names());

    assertThat(updated.match(get("/a/b"))).isEqualTo("prefix");
  }

  @Test
  void replacementThatChangesHostsMovesRouteBetweenHostGroups() {
    RouteTable<String> t = table(
        route("r", prefix("/")).hosts("a.test"),
        route("other", prefix("/other")).hosts("b.test"));

    RouteTable<String> updated = t.update(entries(route("r", prefix("/")).hosts("b.test", "*.c.test")), names());

    assertThat(updated.match(get("/x").host("a.test"))).isNull();
    assertThat(updated.match(get("/x").host("b.test"))).isEqualTo("r");
    assertThat(updated.match(get("/other").host("b.test"))).isEqualTo("other");
    assertThat(updated.match(get("/x").host("z.c.test"))).isEqualTo("r");
  }

  @Test
  void replacementThatChangesPathKindMovesRouteWithinItsGroup() {
    RouteTable<String> t = table(route("r", exact("/users/7")), route("t", template("/users/{id}")));

    RouteTable<String> updated = t.update(entries(route("r", regex("/users/[0-9]+/x"))), names());

    assertThat(updated.match(get("/users/7"))).isEqualTo("t");
    assertThat(updated.match(get("/users/7/x"))).isEqualTo("r");
  }

  @Test
  void replacementWithNewTargetKeepsItsPlace() {
    RouteTable<String> t = table(route("a", prefix("/api")), route("b", prefix("/api")));
    RouteEntry<String> retargeted = new RouteEntry<>("a", route("a", prefix("/api")).entry().spec(), "a-v2");

    RouteTable<String> updated = t.update(List.of(retargeted), names());

    assertThat(updated.match(get("/api"))).isEqualTo("a-v2");
  }

  @Test
  void removingLastRouteOfExactHostGroupFallsThroughToNoHostGroup() {
    RouteTable<String> t = table(
        route("default", PathMatch.ANY),
        route("api", prefix("/v1")).hosts("api.example.com"));
    assertThat(t.match(get("/v2").host("api.example.com"))).isNull();

    RouteTable<String> updated = t.update(List.of(), names("api"));

    assertThat(updated.match(get("/v2").host("api.example.com"))).isEqualTo("default");
    assertThat(updated.match(get("/v1").host("api.example.com"))).isEqualTo("default");
  }

  @Test
  void removingLastRouteOfWildcardHostGroupFallsThroughToShorterWildcard() {
    RouteTable<String> t = table(
        route("short", PathMatch.ANY).hosts("*.example.com"),
        route("long", prefix("/v1")).hosts("*.api.example.com"));
    assertThat(t.match(get("/v2").host("x.api.example.com"))).isNull();

    RouteTable<String> updated = t.update(List.of(), names("long"));

    assertThat(updated.match(get("/v2").host("x.api.example.com"))).isEqualTo("short");
  }

  @Test
  void movingLastRouteOfHostGroupAwayFallsThroughToNoHostGroup() {
    RouteTable<String> t = table(
        route("default", PathMatch.ANY),
        route("api", PathMatch.ANY).hosts("api.example.com"));

    RouteTable<String> updated = t.update(entries(route("api", PathMatch.ANY).hosts("www.example.com")), names());

    assertThat(updated.match(get("/").host("api.example.com"))).isEqualTo("default");
    assertThat(updated.match(get("/").host("www.example.com"))).isEqualTo("api");
  }

  @Test
  void removingEveryRouteLeavesTableThatMatchesNothing() {
    RouteTable<String> t = table(route("a", prefix("/")), route("b", exact("/b")).hosts("b.test"));

    RouteTable<String> updated = t.update(List.of(), names("a", "b"));

    assertThat(updated.match(get("/"))).isNull();
    assertThat(updated.match(get("/b").host("b.test"))).isNull();
  }

  @Test
  void removingSharedTrieNodeRouteKeepsDeeperRoutes() {
    RouteTable<String> t = table(
        route("shallow", prefix("/a")),
        route("deep", template("/a/{x}/c")),
        route("other", prefix("/b")));

    RouteTable<String> updated = t.update(List.of(), names("shallow"));

    assertThat(updated.match(get("/a/7/c"))).isEqualTo("deep");
    assertThat(updated.match(get("/a/7"))).isNull();
    assertThat(updated.match(get("/b/1"))).isEqualTo("other");
  }

  @Test
  void updatingEmptyTableAddsRoutes() {
    RouteTable<String> t = RouteTable.compile(List.of());

    RouteTable<String> updated = t.update(entries(route("a", prefix("/a")), route("b", prefix("/"))), names());

    assertThat(updated.match(get("/a/1"))).isEqualTo("a");
    assertThat(updated.match(get("/x"))).isEqualTo("b");
  }

  @Test
  void updateLeavesOriginalTableUnchanged() {
    RouteTable<String> t = table(
        route("a", prefix("/a")),
        route("b", exact("/b")).hosts("b.test"),
        route("c", regex("/c.*")));

    t.update(entries(route("a", prefix("/a")).priority(5).hosts("b.test"), route("d", prefix("/"))), names("b", "c"));

    assertThat(t.match(get("/a"))).isEqualTo("a");
    assertThat(t.match(get("/b").host("b.test"))).isEqualTo("b");
    assertThat(t.match(get("/a").host("b.test"))).isNull();
    assertThat(t.match(get("/cc"))).isEqualTo("c");
    assertThat(t.match(get("/d"))).isNull();
  }

  @Test
  void emptyUpdateReturnsTheSameTable() {
    RouteTable<String> t = table(route("a", prefix("/a")));

    assertThat(t.update(List.of(), List.of())).isSameAs(t);
  }

  @Test
  void malformedPutThrowsNamingTheRouteAndLeavesTableAsItWas() {
    RouteTable<String> t = table(route("a", prefix("/a")), route("b", exact("/b")));

    assertThatThrownBy(() -> t.update(entries(route("new", prefix("/new")), route("b", prefix("no-slash"))), names("a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route 'b': match.path.prefix 'no-slash' must start with /");

    assertThat(t.match(get("/a"))).isEqualTo("a");
    assertThat(t.match(get("/b"))).isEqualTo("b");
    assertThat(t.match(get("/new"))).isNull();
    // The table still updates normally afterwards.
    assertThat(t.update(entries(route("new", prefix("/new"))), names()).match(get("/new"))).isEqualTo("new");
  }

  @Test
  void removingUnknownNameThrows() {
    RouteTable<String> t = table(route("a", prefix("/a")));

    assertThatThrownBy(() -> t.update(List.of(), names("a", "ghost")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route 'ghost' cannot be removed: the table has no such route");
    assertThat(t.match(get("/a"))).isEqualTo("a");
  }

  @Test
  void nameTwiceInPutsThrows() {
    RouteTable<String> t = table(route("a", prefix("/a")));

    assertThatThrownBy(() -> t.update(entries(route("twin", exact("/1")), route("twin", exact("/2"))), names()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("two routes are named 'twin'");
  }

  @Test
  void nameInPutsAndRemovedThrows() {
    RouteTable<String> t = table(route("a", prefix("/a")));

    assertThatThrownBy(() -> t.update(entries(route("a", exact("/1"))), names("a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route 'a' is both put and removed");
  }

  @Test
  void nameTwiceInRemovedThrows() {
    RouteTable<String> t = table(route("a", prefix("/a")));

    assertThatThrownBy(() -> t.update(List.of(), names("a", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route 'a' is removed twice");
  }

  // Running out of room between ranks

  @Test
  void insertingIntoOneGapOverAndOverRelabelsNeighboursWithoutRecompiling() {
    // "r-01000" < "r-01000-0000" < "r-01000-0001" < ... < "r-01001": each new route lands right
    // after the previous one, in the gap before "r-01001", halving that gap every time.
    List<RouteEntry<String>> initial = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      initial.add(route(String.format("r-%05d", i), exact("/p" + i)).entry());
    }
    RouteTable<String> t = RouteTable.compile(initial);
    Map<String, RouteEntry<String>> current = byName(initial);
    for (int i = 0; i < 300; i++) {
      RouteEntry<String> added = route(String.format("r-01000-%04d", i), exact("/q" + i)).entry();
      t = t.update(List.of(added), List.of());
      current.put(added.name(), added);
    }

    assertThat(t.relabelledRoutes()).isPositive();
    assertThat(t.renumberings()).isZero();
    assertMatchesLikeCompile(t, current, requestsFor(current.values(), new Random(1), 500));
    // Same-path routes, to see that precedence among the relabelled ones is kept.
    RouteTable<String> shared = t.update(List.of(
        route("r-01000-0150", prefix("/shared")).entry(),
        route("r-01000-0151", prefix("/shared")).entry(),
        route("r-01000-0149", prefix("/shared")).methods("GET").entry()), List.of());
    assertThat(shared.match(get("/shared"))).isEqualTo("r-01000-0149");
    assertThat(shared.match(get("/shared").method("POST"))).isEqualTo("r-01000-0150");
  }

  @Test
  void smallRankSpaceFallsBackToRenumbering() {
    List<RouteEntry<String>> initial = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      initial.add(route("r-" + i, prefix("/p" + (i % 5))).entry());
    }
    RouteTable<String> t = RouteTable.compile(initial, 8);
    Map<String, RouteEntry<String>> current = byName(initial);
    for (int i = 100; i < 160; i++) {
      RouteEntry<String> added = route("r-" + i, prefix("/p" + (i % 5))).entry();
      t = t.update(List.of(added), List.of());
      current.put(added.name(), added);
      assertMatchesLikeCompile(t, current, requestsFor(current.values(), new Random(i), 20));
    }

    assertThat(t.renumberings()).isPositive();
  }

  // Randomized equivalence with compile()

  /**
   * With 62-bit ranks gaps rarely run out (only where hot routes pile up) and the table is never
   * recompiled; with 12 or 9 bits they run out all the time, so neighbours are relabelled and
   * tables recompiled (with 9 bits nearly every range is too dense to relabel into).
   */
  @ParameterizedTest(name = "seed {0}, {1}-bit ranks")
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  @CsvSource({"1, 62, false", "2, 62, false", "3, 62, true", "4, 12, true", "5, 12, true", "6, 9, false"})
  void randomUpdatesMatchLikeCompileOfTheSameRoutes(long seed, int labelBits, boolean relabels) {
    Random random = new Random(seed);
    RouteGen gen = new RouteGen(random);
    List<RouteEntry<String>> initial = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      initial.add(gen.route(gen.newName()));
    }
    RouteTable<String> t = RouteTable.compile(initial, labelBits);
    Map<String, RouteEntry<String>> current = byName(initial);

    for (int step = 0; step < 250; step++) {
      List<RouteEntry<String>> puts = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      Set<String> touched = new HashSet<>();
      int changes = random.nextInt(10) == 0 ? 1 + random.nextInt(25) : 1 + random.nextInt(3);
      for (int c = 0; c < changes; c++) {
        List<String> names = new ArrayList<>(current.keySet());
        names.removeAll(touched);
        int what = random.nextInt(10);
        if (what < 4 || names.isEmpty() || current.size() < 10) {
          RouteEntry<String> added = random.nextInt(3) == 0 ? gen.hotRoute() : gen.route(gen.newName());
          puts.add(added);
          touched.add(added.name());
        } else {
          String name = names.get(random.nextInt(names.size()));
          touched.add(name);
          if (what < 7) {
            puts.add(gen.replacement(current.get(name)));
          } else if (current.size() - removed.size() > 10) {
            removed.add(name);
          }
        }
      }
      if (current.size() + puts.size() > 120) {
        continue; // keeps 9-bit ranks from overflowing and the test fast
      }

      RouteTable<String> before = t;
      Map<String, RouteEntry<String>> previous = new LinkedHashMap<>(current);
      t = t.update(puts, removed);
      for (RouteEntry<String> put : puts) {
        current.put(put.name(), put);
      }
      removed.forEach(current::remove);

      assertMatchesLikeCompile(t, current, requestsFor(current.values(), random, 200));
      if (step % 25 == 0) {
        // The old table is untouched.
        assertMatchesLikeCompile(before, previous, requestsFor(previous.values(), random, 100));
      }
    }
    if (relabels) {
      assertThat(t.relabelledRoutes()).isPositive();
    }
    if (labelBits == 62) {
      assertThat(t.renumberings()).isZero();
    } else {
      assertThat(t.renumberings()).isPositive();
    }
  }

  private static Map<String, RouteEntry<String>> byName(List<RouteEntry<String>> entries) {
    Map<String, RouteEntry<String>> map = new LinkedHashMap<>();
    entries.forEach(e -> map.put(e.name(), e));
    return map;
  }

  private static void assertMatchesLikeCompile(
      RouteTable<String> table, Map<String, RouteEntry<String>> routes, List<TestRequest> requests) {
    RouteTable<String> compiled = RouteTable.compile(new ArrayList<>(routes.values()));
    for (TestRequest request : requests) {
      @Nullable String expected = compiled.match(request);
      assertThat(table.match(request)).as("%s with routes %s", request, routes.keySet()).isEqualTo(expected);
    }
  }

  /** Requests aimed at the routes' own hosts and paths, near misses and plain misses. */
  private static List<TestRequest> requestsFor(java.util.Collection<RouteEntry<String>> routes, Random random, int count) {
    List<String> hosts = new ArrayList<>(List.of("other.test", "example.com", "x.example.com"));
    List<String> paths = new ArrayList<>(List.of("/", "/nope", "/api", "/users/7/orders", "/v2/items", "/ADMIN/x", "/hot/1"));
    for (RouteEntry<String> route : routes) {
      for (String host : route.spec().hosts()) {
        hosts.add(host.startsWith("*.") ? (random.nextBoolean() ? "z" : "y.z") + host.substring(1) : host.toLowerCase());
      }
      PathMatch path = route.spec().match().path();
      if (path.exact() != null) {
        paths.add(path.exact());
      } else if (path.prefix() != null) {
        paths.add(path.prefix());
        paths.add(path.prefix() + (path.prefix().endsWith("/") ? "" : "/") + "more");
      } else if (path.template() != null) {
        paths.add(path.template().replaceAll("\\{[a-z]+}", random.nextBoolean() ? "7" : "abc"));
        paths.add(path.template().replaceAll("\\{[a-z]+}", ""));
      }
    }
    List<TestRequest> requests = new ArrayList<>(count);
    String[] queries = {"", "?q", "?v=1", "?debug", "?q&v=1", "?v=2&q"};
    String[] methods = {"GET", "GET", "POST", "PUT"};
    for (int i = 0; i < count; i++) {
      TestRequest request = get(paths.get(random.nextInt(paths.size())) + queries[random.nextInt(queries.length)])
          .host(hosts.get(random.nextInt(hosts.size())))
          .method(methods[random.nextInt(methods.length)]);
      if (random.nextBoolean()) {
        request.header("x-a", "1");
      }
      if (random.nextInt(3) == 0) {
        request.header("x-b", random.nextBoolean() ? "1" : "2");
      }
      if (random.nextInt(4) == 0) {
        request.header("x-c", "on");
      }
      requests.add(request);
    }
    return requests;
  }

  /**
   * Random routes over small pools of hosts, segments and conditions, so that routes share host
   * groups, trie nodes and exact paths, and compete on every precedence rule.
   */
  private static final class RouteGen {
    private static final String[] HOSTS = {"a.test", "b.test", "api.example.com", "www.example.com", "x.api.example.com"};
    private static final String[] WILDCARDS = {"*.example.com", "*.api.example.com", "*.test"};
    private static final String[] SEGMENTS = {"api", "v1", "users", "orders", "a", "7"};
    private static final String[] REGEXES = {"/api/.*", "/v[0-9]+/items", "/users/[0-9]+(/.*)?", "(?i)/admin(/.*)?", "/a/7"};
    private static final KeyMatch[] HEADERS = {
      KeyMatch.present("x-a"), KeyMatch.exact("x-b", "1"), KeyMatch.absent("x-c"), KeyMatch.regex("x-b", "[0-9]")
    };
    private static final KeyMatch[] QUERY = {KeyMatch.present("q"), KeyMatch.exact("v", "1"), KeyMatch.absent("debug")};

    private final Random random;
    private int versions;
    private int hot;

    RouteGen(Random random) {
      this.random = random;
    }

    /** Names of varied length, so that their order is not their creation order. */
    String newName() {
      return "r" + random.nextInt(1 << (4 + random.nextInt(12))) + "-" + versions++;
    }

    /**
     * A route that the precedence order puts right after the previous hot route: same keys but the
     * name, and names that increase. Such routes bisect one gap between ranks until it runs out.
     */
    RouteEntry<String> hotRoute() {
      String name = String.format("hot-%05d", hot++);
      return entry(name, new RouteSpec(null, hosts(), 0, new RouteMatch(exact("/hot/" + hot), null, null, null),
          "upstream", null, null));
    }

    RouteEntry<String> route(String name) {
      RouteMatch match = new RouteMatch(path(), methods(), conditions(HEADERS, 3), conditions(QUERY, 2));
      return entry(name, new RouteSpec(null, hosts(), priority(), match, "upstream", null, null));
    }

    /** A new version of {@code old}: one or more of its hosts, path, priority and conditions changed, or only its target. */
    RouteEntry<String> replacement(RouteEntry<String> old) {
      RouteSpec spec = old.spec();
      RouteMatch match = spec.match();
      List<String> hosts = random.nextInt(3) == 0 ? hosts() : spec.hosts();
      int priority = random.nextInt(3) == 0 ? priority() : spec.priority();
      PathMatch path = random.nextInt(3) == 0 ? path() : match.path();
      List<String> methods = random.nextInt(4) == 0 ? methods() : match.methods();
      List<KeyMatch> headers = random.nextInt(4) == 0 ? conditions(HEADERS, 3) : match.headers();
      List<KeyMatch> query = random.nextInt(4) == 0 ? conditions(QUERY, 2) : match.query();
      return entry(old.name(), new RouteSpec(null, hosts, priority, new RouteMatch(path, methods, headers, query),
          "upstream", null, null));
    }

    private RouteEntry<String> entry(String name, RouteSpec spec) {
      // A target per version, so that a stale version of a route shows.
      return new RouteEntry<>(name, spec, name + "#" + versions++);
    }

    private List<String> hosts() {
      return switch (random.nextInt(5)) {
        case 0, 1 -> List.of();
        case 2 -> List.of(pick(HOSTS));
        case 3 -> List.of(pick(WILDCARDS));
        default -> new ArrayList<>(new java.util.LinkedHashSet<>(List.of(pick(HOSTS), pick(WILDCARDS), pick(HOSTS))));
      };
    }

    private int priority() {
      return random.nextInt(4) == 0 ? random.nextInt(3) - 1 : 0;
    }

    private PathMatch path() {
      int segments = random.nextInt(4);
      StringBuilder path = new StringBuilder();
      for (int i = 0; i < segments; i++) {
        path.append('/').append(pick(SEGMENTS));
      }
      String literal = path.isEmpty() ? "/" : path.toString();
      return switch (random.nextInt(4)) {
        case 0 -> exact(literal);
        case 1 -> prefix(random.nextInt(4) == 0 && !literal.equals("/") ? literal + "/" : literal);
        case 2 -> template(literal.equals("/") ? "/{id}" : literal.replaceAll("/(7|a)(?=/|$)", "/{id}"));
        default -> regex(pick(REGEXES));
      };
    }

    private List<String> methods() {
      return switch (random.nextInt(3)) {
        case 0 -> List.of("GET");
        case 1 -> List.of("POST", "PUT");
        default -> List.of();
      };
    }

    private List<KeyMatch> conditions(KeyMatch[] pool, int max) {
      int count = random.nextInt(3) == 0 ? random.nextInt(max + 1) : 0;
      Set<KeyMatch> chosen = new java.util.LinkedHashSet<>();
      for (int i = 0; i < count; i++) {
        chosen.add(pick(pool));
      }
      return List.copyOf(chosen);
    }

    private <V> V pick(V[] values) {
      return values[random.nextInt(values.length)];
    }
  }
}
