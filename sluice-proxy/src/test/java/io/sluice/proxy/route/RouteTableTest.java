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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RouteTableTest {

  private static RouteTable<String> table(TestRoute... routes) {
    return RouteTable.compile(Arrays.stream(routes).map(TestRoute::entry).toList());
  }

  // Host selection

  @Test
  void exactHostBeatsWildcardHost() {
    RouteTable<String> t = table(
        route("wild", PathMatch.ANY).hosts("*.example.com"),
        route("exact", PathMatch.ANY).hosts("api.example.com"));

    assertThat(t.match(get("/").host("api.example.com"))).isEqualTo("exact");
    assertThat(t.match(get("/").host("www.example.com"))).isEqualTo("wild");
  }

  @Test
  void exactHostComparesCaseInsensitively() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).hosts("API.Example.COM"));

    assertThat(t.match(get("/").host("api.example.com"))).isEqualTo("r");
  }

  @Test
  void wildcardHostMatchesSubdomainsAtAnyDepth() {
    RouteTable<String> t = table(route("wild", PathMatch.ANY).hosts("*.example.com"));

    assertThat(t.match(get("/").host("a.example.com"))).isEqualTo("wild");
    assertThat(t.match(get("/").host("a.b.example.com"))).isEqualTo("wild");
  }

  @Test
  void wildcardHostDoesNotMatchApexDomain() {
    RouteTable<String> t = table(route("wild", PathMatch.ANY).hosts("*.example.com"));

    assertThat(t.match(get("/").host("example.com"))).isNull();
    assertThat(t.match(get("/").host("badexample.com"))).isNull();
  }

  @Test
  void longestWildcardWins() {
    RouteTable<String> t = table(
        route("short", PathMatch.ANY).hosts("*.example.com"),
        route("long", PathMatch.ANY).hosts("*.api.example.com"));

    assertThat(t.match(get("/").host("v1.api.example.com"))).isEqualTo("long");
    assertThat(t.match(get("/").host("api.example.com"))).isEqualTo("short");
  }

  @Test
  void routeWithoutHostsServesHostsNoGroupClaims() {
    RouteTable<String> t = table(
        route("default", PathMatch.ANY),
        route("api", PathMatch.ANY).hosts("api.example.com"));

    assertThat(t.match(get("/").host("other.test"))).isEqualTo("default");
  }

  @Test
  void routeWithSeveralHostsIsInEachGroup() {
    RouteTable<String> t = table(
        route("both", prefix("/shared")).hosts("a.test", "*.b.test"),
        route("a-only", prefix("/a")).hosts("a.test"));

    assertThat(t.match(get("/shared").host("a.test"))).isEqualTo("both");
    assertThat(t.match(get("/shared").host("x.b.test"))).isEqualTo("both");
    assertThat(t.match(get("/a").host("a.test"))).isEqualTo("a-only");
  }

  @Test
  void noFallbackToDefaultHostGroupWhenExactHostGroupHasNoMatch() {
    RouteTable<String> t = table(
        route("default", PathMatch.ANY),
        route("api", prefix("/v1")).hosts("api.example.com"));

    assertThat(t.match(get("/v2").host("api.example.com"))).isNull();
  }

  @Test
  void noFallbackToWildcardGroupWhenExactHostGroupHasNoMatch() {
    RouteTable<String> t = table(
        route("wild", PathMatch.ANY).hosts("*.example.com"),
        route("api", prefix("/v1")).hosts("api.example.com"));

    assertThat(t.match(get("/v2").host("api.example.com"))).isNull();
  }

  @Test
  void noFallbackToShorterWildcardWhenLongerWildcardGroupHasNoMatch() {
    RouteTable<String> t = table(
        route("short", PathMatch.ANY).hosts("*.example.com"),
        route("long", prefix("/v1")).hosts("*.api.example.com"));

    assertThat(t.match(get("/v2").host("x.api.example.com"))).isNull();
  }

  @Test
  void unknownHostMatchesNothingWithoutDefaultGroup() {
    RouteTable<String> t = table(route("api", PathMatch.ANY).hosts("api.example.com"));

    assertThat(t.match(get("/").host("other.test"))).isNull();
  }

  @Test
  void emptyTableMatchesNothing() {
    assertThat(RouteTable.<String>compile(List.of()).match(get("/"))).isNull();
  }

  // Path matching

  @Test
  void exactPathMatchesOnlyTheWholePath() {
    RouteTable<String> t = table(route("r", exact("/healthz")));

    assertThat(t.match(get("/healthz"))).isEqualTo("r");
    assertThat(t.match(get("/healthz/"))).isNull();
    assertThat(t.match(get("/healthz/x"))).isNull();
    assertThat(t.match(get("/health"))).isNull();
  }

  @Test
  void prefixMatchesOnSegmentBoundaries() {
    RouteTable<String> t = table(route("r", prefix("/api")));

    assertThat(t.match(get("/api"))).isEqualTo("r");
    assertThat(t.match(get("/api/"))).isEqualTo("r");
    assertThat(t.match(get("/api/x/y"))).isEqualTo("r");
    assertThat(t.match(get("/apix"))).isNull();
    assertThat(t.match(get("/"))).isNull();
  }

  @Test
  void prefixWithTrailingSlashBehavesLikePrefixWithout() {
    RouteTable<String> t = table(route("r", prefix("/api/")));

    assertThat(t.match(get("/api"))).isEqualTo("r");
    assertThat(t.match(get("/api/x"))).isEqualTo("r");
    assertThat(t.match(get("/apix"))).isNull();
  }

  @Test
  void rootPrefixMatchesEveryPath() {
    RouteTable<String> t = table(route("r", prefix("/")));

    assertThat(t.match(get("/"))).isEqualTo("r");
    assertThat(t.match(get("/a/b//c/"))).isEqualTo("r");
  }

  @Test
  void defaultPathMatchMatchesEveryPath() {
    RouteTable<String> t = table(route("r", PathMatch.ANY));

    assertThat(t.match(get("/anything"))).isEqualTo("r");
  }

  @Test
  void templatePlaceholderMatchesExactlyOneSegment() {
    RouteTable<String> t = table(route("r", template("/users/{id}/orders")));

    assertThat(t.match(get("/users/42/orders"))).isEqualTo("r");
    assertThat(t.match(get("/users/42/7/orders"))).isNull();
    assertThat(t.match(get("/users/orders"))).isNull();
  }

  @Test
  void templatePlaceholderDoesNotMatchEmptySegment() {
    RouteTable<String> t = table(route("r", template("/users/{id}/orders")));

    assertThat(t.match(get("/users//orders"))).isNull();
  }

  @Test
  void templateMatchesTheWholePath() {
    RouteTable<String> t = table(route("r", template("/users/{id}")));

    assertThat(t.match(get("/users/42"))).isEqualTo("r");
    assertThat(t.match(get("/users/42/"))).isNull();
    assertThat(t.match(get("/users/42/x"))).isNull();
    assertThat(t.match(get("/users/"))).isNull();
  }

  @Test
  void templatePlaceholderBranchIsSearchedWhenLiteralBranchDoesNotMatch() {
    RouteTable<String> t = table(
        route("me", template("/users/me/settings")),
        route("orders", template("/users/{id}/orders")));

    assertThat(t.match(get("/users/me/orders"))).isEqualTo("orders");
    assertThat(t.match(get("/users/me/settings"))).isEqualTo("me");
  }

  @Test
  void regexMustMatchTheWholePath() {
    RouteTable<String> t = table(route("r", regex("/v[0-9]+/items")));

    assertThat(t.match(get("/v12/items"))).isEqualTo("r");
    assertThat(t.match(get("/v12/items/1"))).isNull();
    assertThat(t.match(get("/x/v12/items"))).isNull();
  }

  // Precedence

  @Test
  void higherPriorityBeatsExactPath() {
    RouteTable<String> t = table(
        route("exact", exact("/api/users")),
        route("prefix", prefix("/api")).priority(1));

    assertThat(t.match(get("/api/users"))).isEqualTo("prefix");
  }

  @Test
  void higherPriorityRegexBeatsEveryOtherKind() {
    RouteTable<String> t = table(
        route("exact", exact("/a/b")),
        route("template", template("/a/{x}")),
        route("prefix", prefix("/a")),
        route("regex", regex("/a/.*")).priority(5));

    assertThat(t.match(get("/a/b"))).isEqualTo("regex");
  }

  @Test
  void exactPathBeatsLongerPrefix() {
    RouteTable<String> t = table(
        route("prefix", prefix("/api/users/list")),
        route("exact", exact("/api/users/list")));

    assertThat(t.match(get("/api/users/list"))).isEqualTo("exact");
  }

  @Test
  void exactPathBeatsTemplate() {
    RouteTable<String> t = table(
        route("template", template("/users/{id}")),
        route("exact", exact("/users/me")));

    assertThat(t.match(get("/users/me"))).isEqualTo("exact");
    assertThat(t.match(get("/users/42"))).isEqualTo("template");
  }

  @Test
  void templateBeatsLongerPrefix() {
    RouteTable<String> t = table(
        route("prefix", prefix("/users/42")),
        route("template", template("/users/{id}")));

    assertThat(t.match(get("/users/42"))).isEqualTo("template");
    assertThat(t.match(get("/users/42/x"))).isEqualTo("prefix");
  }

  @Test
  void prefixBeatsRegex() {
    RouteTable<String> t = table(
        route("regex", regex("/api/.*")),
        route("prefix", prefix("/")));

    assertThat(t.match(get("/api/x"))).isEqualTo("prefix");
  }

  @Test
  void longerPrefixInSegmentsWins() {
    RouteTable<String> t = table(
        route("short", prefix("/api")),
        route("long", prefix("/api/v1")),
        route("root", prefix("/")));

    assertThat(t.match(get("/api/v1/x"))).isEqualTo("long");
    assertThat(t.match(get("/api/v2"))).isEqualTo("short");
    assertThat(t.match(get("/other"))).isEqualTo("root");
  }

  @Test
  void templateWithMoreLiteralSegmentsWins() {
    RouteTable<String> t = table(
        route("a-one-literal", template("/{a}/{b}/orders")),
        route("b-two-literals", template("/users/{id}/orders")));

    assertThat(t.match(get("/users/1/orders"))).isEqualTo("b-two-literals");
  }

  @Test
  void routeWithMethodsBeatsRouteWithout() {
    RouteTable<String> t = table(
        route("a-any", prefix("/api")),
        route("b-get", prefix("/api")).methods("GET"));

    assertThat(t.match(get("/api"))).isEqualTo("b-get");
    assertThat(t.match(get("/api").method("POST"))).isEqualTo("a-any");
  }

  @Test
  void moreHeaderConditionsWin() {
    RouteTable<String> t = table(
        route("a-one", prefix("/")).header(KeyMatch.present("x-a")),
        route("b-two", prefix("/")).header(KeyMatch.present("x-a")).header(KeyMatch.present("x-b")));

    assertThat(t.match(get("/").header("x-a", "1").header("x-b", "1"))).isEqualTo("b-two");
    assertThat(t.match(get("/").header("x-a", "1"))).isEqualTo("a-one");
  }

  @Test
  void moreQueryConditionsWin() {
    RouteTable<String> t = table(
        route("a-one", prefix("/")).query(KeyMatch.present("a")),
        route("b-two", prefix("/")).query(KeyMatch.present("a")).query(KeyMatch.present("b")));

    assertThat(t.match(get("/?a&b"))).isEqualTo("b-two");
    assertThat(t.match(get("/?a"))).isEqualTo("a-one");
  }

  @Test
  void headerConditionsCountBeforeQueryConditions() {
    RouteTable<String> t = table(
        route("a-query", prefix("/")).query(KeyMatch.present("q")).query(KeyMatch.present("r")),
        route("b-header", prefix("/")).header(KeyMatch.present("x-h")));

    assertThat(t.match(get("/?q&r").header("x-h", "1"))).isEqualTo("b-header");
  }

  @Test
  void routeNameBreaksTiesWhateverTheInputOrder() {
    List<TestRoute> routes = new ArrayList<>();
    for (String name : List.of("delta", "alpha", "charlie", "bravo")) {
      routes.add(route(name, prefix("/same")));
    }
    for (int i = 0; i < 5; i++) {
      Collections.shuffle(routes);
      assertThat(table(routes.toArray(TestRoute[]::new)).match(get("/same"))).isEqualTo("alpha");
    }
  }

  @Test
  void worseRankedRouteMatchesWhenBetterRoutesConditionsFail() {
    RouteTable<String> t = table(
        route("exact-post", exact("/api/x")).methods("POST"),
        route("template-canary", template("/api/{x}")).header(KeyMatch.exact("x-canary", "1")),
        route("prefix", prefix("/api")));

    assertThat(t.match(get("/api/x"))).isEqualTo("prefix");
    assertThat(t.match(get("/api/x").header("x-canary", "1"))).isEqualTo("template-canary");
    assertThat(t.match(get("/api/x").method("POST"))).isEqualTo("exact-post");
  }

  // Methods, headers, query

  @Test
  void methodsCompareCaseSensitively() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).methods("GET", "HEAD"));

    assertThat(t.match(get("/").method("HEAD"))).isEqualTo("r");
    assertThat(t.match(get("/").method("get"))).isNull();
    assertThat(t.match(get("/").method("POST"))).isNull();
  }

  @Test
  void headerExactComparesValueCaseSensitivelyAndNameCaseInsensitively() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).header(KeyMatch.exact("X-Canary", "Yes")));

    assertThat(t.match(get("/").header("x-canary", "Yes"))).isEqualTo("r");
    assertThat(t.match(get("/").header("x-canary", "yes"))).isNull();
    assertThat(t.match(get("/"))).isNull();
  }

  @Test
  void headerRegexMustMatchTheWholeValue() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).header(KeyMatch.regex("user-agent", "curl/[0-9.]+")));

    assertThat(t.match(get("/").header("user-agent", "curl/8.5.0"))).isEqualTo("r");
    assertThat(t.match(get("/").header("user-agent", "curl/8.5.0 extra"))).isNull();
    assertThat(t.match(get("/"))).isNull();
  }

  @Test
  void headerPresentRequiresTheHeaderWithAnyValue() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).header(KeyMatch.present("x-debug")));

    assertThat(t.match(get("/").header("x-debug", ""))).isEqualTo("r");
    assertThat(t.match(get("/"))).isNull();
  }

  @Test
  void headerAbsentRequiresTheHeaderToBeMissing() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).header(KeyMatch.absent("x-debug")));

    assertThat(t.match(get("/"))).isEqualTo("r");
    assertThat(t.match(get("/").header("x-debug", "1"))).isNull();
  }

  @Test
  void queryExactMatchesDecodedValue() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).query(KeyMatch.exact("q", "a b/ü")));

    assertThat(t.match(get("/?q=a+b%2F%C3%BC"))).isEqualTo("r");
    assertThat(t.match(get("/?q=a%20b/%c3%bc"))).isEqualTo("r");
    assertThat(t.match(get("/?q=a+b"))).isNull();
  }

  @Test
  void queryRegexMatchesDecodedValue() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).query(KeyMatch.regex("q", "hello world!?")));

    assertThat(t.match(get("/?x=1&q=hello+world%21"))).isEqualTo("r");
    assertThat(t.match(get("/?q=hello+world%21%21"))).isNull();
  }

  @Test
  void queryNameIsPercentDecoded() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).query(KeyMatch.exact("a b", "1")));

    assertThat(t.match(get("/?a%20b=1"))).isEqualTo("r");
    assertThat(t.match(get("/?a+b=1"))).isEqualTo("r");
  }

  @Test
  void queryFirstValueWins() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).query(KeyMatch.exact("v", "1")));

    assertThat(t.match(get("/?v=1&v=2"))).isEqualTo("r");
    assertThat(t.match(get("/?v=2&v=1"))).isNull();
  }

  @Test
  void queryParameterWithoutValueIsPresentAndEmpty() {
    RouteTable<String> present = table(route("r", PathMatch.ANY).query(KeyMatch.present("c")));
    RouteTable<String> empty = table(route("r", PathMatch.ANY).query(KeyMatch.exact("b", "")));

    assertThat(present.match(get("/?a=1&b=&c"))).isEqualTo("r");
    assertThat(empty.match(get("/?a=1&b=&c"))).isEqualTo("r");
    assertThat(present.match(get("/?a=1&cc=2"))).isNull();
  }

  @Test
  void queryAbsentHoldsWithoutAQuery() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).query(KeyMatch.absent("debug")));

    assertThat(t.match(get("/"))).isEqualTo("r");
    assertThat(t.match(get("/?x=1"))).isEqualTo("r");
    assertThat(t.match(get("/?x=1&debug"))).isNull();
  }

  @Test
  void queryMalformedEscapeIsKeptAsIs() {
    RouteTable<String> t = table(route("r", PathMatch.ANY).query(KeyMatch.exact("q", "100%+x%zz")));

    assertThat(t.match(get("/?q=100%25%2Bx%zz"))).isEqualTo("r");
    assertThat(t.match(get("/?q=100%+x%zz"))).isNull();
  }

  @Test
  void queryIsNotReadWhenNoCandidateHasQueryConditions() {
    RouteTable<String> t = table(
        route("exact", exact("/a")),
        route("other", prefix("/b")).query(KeyMatch.present("x")));
    TestRequest request = get("/a?x=1");

    assertThat(t.match(request)).isEqualTo("exact");
    assertThat(request.queryReads).isZero();
  }

  // Compile-time checks

  @Test
  void rejectsTwoPathKinds() {
    assertThatThrownBy(() -> table(route("bad", new PathMatch("/a", "/b", null, null))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'bad'")
        .hasMessageContaining("exactly one of exact, prefix, regex, template");
  }

  @Test
  void rejectsRegexThatDoesNotCompile() {
    assertThatThrownBy(() -> table(route("bad", regex("/a(["))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'bad': match.path.regex is invalid");
  }

  @Test
  void rejectsHeaderRegexThatDoesNotCompile() {
    assertThatThrownBy(() -> table(route("bad", PathMatch.ANY).header(KeyMatch.regex("x-a", "*"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'bad': header match 'x-a': invalid regex");
  }

  @Test
  void rejectsKeyMatchWithoutACondition() {
    assertThatThrownBy(() -> table(route("bad", PathMatch.ANY).query(new KeyMatch("q", null, null, false, null))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'bad': query match 'q' must set exactly one of");
  }

  @Test
  void rejectsPathNotStartingWithSlash() {
    assertThatThrownBy(() -> table(route("bad", prefix("api"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'bad': match.path.prefix 'api' must start with /");
  }

  @Test
  void rejectsPlaceholderThatIsNotAWholeSegment() {
    assertThatThrownBy(() -> table(route("bad", template("/users/id-{id}"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("segment 'id-{id}'");
  }

  @Test
  void rejectsMisplacedWildcardInHost() {
    assertThatThrownBy(() -> table(route("bad", PathMatch.ANY).hosts("api.*.example.com")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'bad': host 'api.*.example.com'");
    assertThatThrownBy(() -> table(route("bad", PathMatch.ANY).hosts("*")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsTwoRoutesWithTheSameName() {
    assertThatThrownBy(() -> table(route("twin", exact("/a")), route("twin", exact("/b"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two routes are named 'twin'");
  }

  // Scale and threads

  @Test
  // A guard against a quadratic compile, not a timing assertion: well over what a busy 2-core machine needs.
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void hundredThousandRoutesMatchCorrectly() {
    List<RouteEntry<String>> entries = new ArrayList<>(100_000);
    for (int i = 0; i < 25_000; i++) {
      entries.add(route("exact-" + i, exact("/svc" + i + "/health")).entry());
      entries.add(route("prefix-" + i, prefix("/svc" + i)).entry());
      entries.add(route("template-" + i, template("/svc" + i + "/users/{id}")).methods("GET").entry());
      entries.add(route("host-" + i, prefix("/")).hosts("h" + i + ".example.com").entry());
    }
    RouteTable<String> t = RouteTable.compile(entries);

    assertThat(t.match(get("/svc0/health"))).isEqualTo("exact-0");
    assertThat(t.match(get("/svc24999/users/7"))).isEqualTo("template-24999");
    assertThat(t.match(get("/svc24999/users/7").method("POST"))).isEqualTo("prefix-24999");
    assertThat(t.match(get("/svc12345/orders/1"))).isEqualTo("prefix-12345");
    assertThat(t.match(get("/svc25000/health"))).isNull();
    assertThat(t.match(get("/svc1/health").host("h17.example.com"))).isEqualTo("host-17");
  }

  @Test
  void concurrentMatchesAgree() throws Exception {
    RouteTable<String> t = table(
        route("exact", exact("/a/b")),
        route("template", template("/a/{x}")).header(KeyMatch.present("x-t")),
        route("prefix", prefix("/a")));
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int n = 0; n < 4; n++) {
        results.add(pool.submit(() -> {
          for (int i = 0; i < 20_000; i++) {
            if (!"exact".equals(t.match(get("/a/b")))
                || !"template".equals(t.match(get("/a/c").header("x-t", "1")))
                || !"prefix".equals(t.match(get("/a/c")))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    }
  }
}
