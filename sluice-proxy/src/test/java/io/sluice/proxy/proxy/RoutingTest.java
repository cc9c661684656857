package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every matcher and the precedence rules of docs/routing.md, through the proxy: each route sends to
 * its own upstream, which answers with its name, so the body tells which route won.
 */
class RoutingTest {
  static final String NO_ROUTE_BODY = "{\"status\":404,\"reason\":\"no_route\",\"message\":\"no route matches the request\"}\n";

  /** A gateway whose routes each proxy to an upstream of the same name that answers with that name. */
  abstract static class Routes {
    private final Map<String, String> routes = new LinkedHashMap<>();
    private final List<TestUpstream> upstreams = new ArrayList<>();
    GatewayFixture gw;

    /** The route specs, keyed by name; each spec gets {@code upstream: <name>} added. */
    abstract void define(Map<String, String> routes);

    @BeforeAll
    void start() throws Exception {
      define(routes);
      StringBuilder yaml = new StringBuilder("""
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec:
            address: 127.0.0.1:%d
          """.formatted(0));
      for (Map.Entry<String, String> r : routes.entrySet()) {
        TestUpstream up = TestUpstream.named(r.getKey());
        upstreams.add(up);
        yaml.append("""
            ---
            apiVersion: sluice.io/v1
            kind: Upstream
            metadata: {name: %s}
            spec:
              endpoints: [{address: "%s"}]
            ---
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: %s}
            spec:
            %s
              upstream: %s
            """.formatted(r.getKey(), up.address(), r.getKey(), r.getValue().indent(2).stripTrailing(), r.getKey()));
      }
      gw = GatewayFixture.start(yaml.toString());
    }

    @AfterAll
    void stop() throws IOException {
      if (gw != null) gw.close();
      for (TestUpstream u : upstreams) u.close();
    }

    /** Sends a request with extra header lines and returns the response. */
    RawConnection.Response send(String method, String target, String host, String... headerLines) throws IOException {
      try (RawConnection c = RawConnection.open(gw.port())) {
        StringBuilder req = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
            .append(host).append("\r\n");
        for (String h : headerLines) req.append(h).append("\r\n");
        req.append("\r\n");
        c.send(req.toString());
        return method.equals("HEAD") ? c.readHeadResponse() : c.readResponse();
      }
    }

    /** The name of the route that served the request, or "404" when none did. */
    String routeOf(String method, String target, String host, String... headerLines) throws IOException {
      RawConnection.Response r = send(method, target, host, headerLines);
      if (r.status() == 404 && "no_route".equals(r.header("x-sluice-reason"))) {
        assertThat(r.body()).isEqualTo(NO_ROUTE_BODY);
        return "404";
      }
      assertThat(r.status()).as("status for %s %s", method, target).isEqualTo(200);
      return r.body();
    }

    String get(String target, String... headerLines) throws IOException {
      return routeOf("GET", target, "any.example", headerLines);
    }
  }

  @Test
  void aRouteServesOnlyTheListenersItNames() throws Exception {
    try (TestUpstream internal = TestUpstream.named("internal"); TestUpstream everywhere = TestUpstream.named("everywhere");
        GatewayFixture gw = GatewayFixture.start("""
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: public}
            spec: {address: "127.0.0.1:%d"}
            ---
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: admin}
            spec: {address: "127.0.0.1:%d"}
            ---
            apiVersion: sluice.io/v1
            kind: Upstream
            metadata: {name: internal}
            spec: {endpoints: [{address: "%s"}]}
            ---
            apiVersion: sluice.io/v1
            kind: Upstream
            metadata: {name: everywhere}
            spec: {endpoints: [{address: "%s"}]}
            ---
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: internal}
            spec: {listeners: [admin], match: {path: {prefix: /internal}}, upstream: internal}
            ---
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: everywhere}
            spec: {match: {path: {prefix: /}}, upstream: everywhere}
            """.formatted(0, 0, internal.address(), everywhere.address()))) {
      for (String[] c : new String[][] {{"admin", "/internal/x", "internal"}, {"public", "/internal/x", "everywhere"},
          {"admin", "/other", "everywhere"}, {"public", "/other", "everywhere"}}) {
        try (RawConnection conn = RawConnection.open(gw.port(c[0]))) {
          conn.send("GET " + c[1] + " HTTP/1.1\r\nHost: a\r\n\r\n");
          assertThat(conn.readResponse().body()).as("%s %s", c[0], c[1]).isEqualTo(c[2]);
        }
      }
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Paths extends Routes {
    @Override
    void define(Map<String, String> r) {
      r.put("exact", "match: {path: {exact: /e/exact}}");
      r.put("prefix", "match: {path: {prefix: /api}}");
      r.put("trailing", "match: {path: {prefix: /docs/}}");
      r.put("template", "match: {path: {template: \"/users/{id}/orders/{order}\"}}");
      r.put("regex", "match: {path: {regex: \"/files/[0-9]+\\\\.txt\"}}");
    }

    @Test
    void exactMatchesTheWholePathOnly() throws IOException {
      assertThat(get("/e/exact")).isEqualTo("exact");
      assertThat(get("/e/exact?q=1")).isEqualTo("exact");
      assertThat(get("/e/exact/")).isEqualTo("404");
      assertThat(get("/e/exac")).isEqualTo("404");
      assertThat(get("/e/exact/more")).isEqualTo("404");
    }

    @Test
    void prefixMatchesOnSegmentBoundaries() throws IOException {
      assertThat(get("/api")).isEqualTo("prefix");
      assertThat(get("/api/")).isEqualTo("prefix");
      assertThat(get("/api/x/y?z=1")).isEqualTo("prefix");
      assertThat(get("/apix")).isEqualTo("404");
      assertThat(get("/ap")).isEqualTo("404");
    }

    @Test
    void prefixWithATrailingSlashIsThePrefixWithout() throws IOException {
      assertThat(get("/docs")).isEqualTo("trailing");
      assertThat(get("/docs/a")).isEqualTo("trailing");
      assertThat(get("/docsx")).isEqualTo("404");
    }

    @Test
    void templatePlaceholdersMatchExactlyOneNonEmptySegment() throws IOException {
      assertThat(get("/users/7/orders/99")).isEqualTo("template");
      assertThat(get("/users/abc-def/orders/x?y=1")).isEqualTo("template");
      assertThat(get("/users//orders/99")).isEqualTo("404");
      assertThat(get("/users/7/orders/")).isEqualTo("404");
      assertThat(get("/users/7/orders/99/")).isEqualTo("404");
      assertThat(get("/users/7/8/orders/99")).isEqualTo("404");
    }

    @Test
    void regexMustMatchTheWholePath() throws IOException {
      assertThat(get("/files/123.txt")).isEqualTo("regex");
      assertThat(get("/files/123.txt?x")).isEqualTo("regex");
      assertThat(get("/files/123.txt.bak")).isEqualTo("404");
      assertThat(get("/x/files/123.txt")).isEqualTo("404");
      assertThat(get("/files/abc.txt")).isEqualTo("404");
    }

    @Test
    void pathsAreMatchedAfterDotSegmentsAreRemoved() throws IOException {
      assertThat(get("/x/../e/exact")).isEqualTo("exact");
      assertThat(get("/api/../e/./exact")).isEqualTo("exact");
    }

    @Test
    void noMatchIs404WithTheReasonInHeaderAndBody() throws IOException {
      RawConnection.Response r = send("GET", "/nowhere", "a");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 404 Not Found");
      assertThat(r.header("x-sluice-reason")).isEqualTo("no_route");
      assertThat(r.header("content-type")).isEqualTo("application/json");
      assertThat(r.header("content-length")).isEqualTo(String.valueOf(NO_ROUTE_BODY.length()));
      assertThat(r.body()).isEqualTo(NO_ROUTE_BODY);
    }

    @Test
    void noMatchKeepsTheConnectionOpenAndDiscardsTheBody() throws IOException {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(c.readResponse().body()).isEqualTo(NO_ROUTE_BODY);
        c.send("GET /api/after HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("prefix");
      }
    }

    @Test
    void noMatchToAHeadRequestHasNoBody() throws IOException {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("HEAD /nowhere HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readHeadResponse();
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.header("content-length")).isEqualTo(String.valueOf(NO_ROUTE_BODY.length()));
        c.send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response next = c.readResponse();
        assertThat(next.statusLine()).isEqualTo("HTTP/1.1 200 X");
        assertThat(next.body()).isEqualTo("prefix");
      }
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Conditions extends Routes {
    @Override
    void define(Map<String, String> r) {
      r.put("methods", "match: {path: {prefix: /m}, methods: [POST, PUT]}");
      r.put("header-exact", "match: {path: {prefix: /h/exact}, headers: [{name: X-Tenant, exact: Acme}]}");
      r.put("header-regex", "match: {path: {prefix: /h/regex}, headers: [{name: x-version, regex: \"v[0-9]+\"}]}");
      r.put("header-present", "match: {path: {prefix: /h/present}, headers: [{name: X-Debug, present: true}]}");
      r.put("header-absent", "match: {path: {prefix: /h/absent}, headers: [{name: X-Debug, absent: true}]}");
      r.put("query-exact", "match: {path: {prefix: /q/exact}, query: [{name: \"a b\", exact: \"x/y z\"}]}");
      r.put("query-regex", "match: {path: {prefix: /q/regex}, query: [{name: page, regex: \"[0-9]{1,3}\"}]}");
      r.put("query-present", "match: {path: {prefix: /q/present}, query: [{name: debug, present: true}]}");
      r.put("query-absent", "match: {path: {prefix: /q/absent}, query: [{name: debug, absent: true}]}");
    }

    @Test
    void methodsCompareExactly() throws IOException {
      assertThat(routeOf("POST", "/m", "a", "Content-Length: 0")).isEqualTo("methods");
      assertThat(routeOf("PUT", "/m/x", "a", "Content-Length: 0")).isEqualTo("methods");
      assertThat(routeOf("GET", "/m", "a")).isEqualTo("404");
      assertThat(routeOf("post", "/m", "a", "Content-Length: 0")).isEqualTo("404");
    }

    @Test
    void headerExactComparesTheValueCaseSensitivelyAndTheNameNot() throws IOException {
      assertThat(get("/h/exact", "X-Tenant: Acme")).isEqualTo("header-exact");
      assertThat(get("/h/exact", "x-tenant: Acme")).isEqualTo("header-exact");
      assertThat(get("/h/exact", "X-Tenant: acme")).isEqualTo("404");
      assertThat(get("/h/exact", "X-Tenant: Acme2")).isEqualTo("404");
      assertThat(get("/h/exact")).isEqualTo("404");
    }

    @Test
    void headerConditionsReadTheFirstValue() throws IOException {
      assertThat(get("/h/exact", "X-Tenant: Acme", "X-Tenant: Other")).isEqualTo("header-exact");
      assertThat(get("/h/exact", "X-Tenant: Other", "X-Tenant: Acme")).isEqualTo("404");
    }

    @Test
    void headerRegexMustMatchTheWholeValue() throws IOException {
      assertThat(get("/h/regex", "X-Version: v12")).isEqualTo("header-regex");
      assertThat(get("/h/regex", "X-Version: v12-beta")).isEqualTo("404");
      assertThat(get("/h/regex", "X-Version: xv1")).isEqualTo("404");
    }

    @Test
    void headerPresentAndAbsent() throws IOException {
      assertThat(get("/h/present", "X-Debug: ")).isEqualTo("header-present");
      assertThat(get("/h/present", "X-Debug: 1")).isEqualTo("header-present");
      assertThat(get("/h/present")).isEqualTo("404");
      assertThat(get("/h/absent")).isEqualTo("header-absent");
      assertThat(get("/h/absent", "x-debug: 1")).isEqualTo("404");
    }

    @Test
    void queryExactComparesDecodedNamesAndValues() throws IOException {
      assertThat(get("/q/exact?a+b=x%2Fy+z")).isEqualTo("query-exact");
      assertThat(get("/q/exact?other=1&a%20b=x/y%20z")).isEqualTo("query-exact");
      assertThat(get("/q/exact?a+b=x%2Fy+z+")).isEqualTo("404");
      assertThat(get("/q/exact?A+B=x%2Fy+z")).isEqualTo("404");
      assertThat(get("/q/exact")).isEqualTo("404");
    }

    @Test
    void queryConditionsReadTheFirstOccurrence() throws IOException {
      assertThat(get("/q/regex?page=12&page=x")).isEqualTo("query-regex");
      assertThat(get("/q/regex?page=x&page=12")).isEqualTo("404");
      assertThat(get("/q/regex?page=1234")).isEqualTo("404");
    }

    @Test
    void queryPresentAndAbsent() throws IOException {
      assertThat(get("/q/present?debug")).isEqualTo("query-present");
      assertThat(get("/q/present?x=1&debug=")).isEqualTo("query-present");
      assertThat(get("/q/present?debugger=1")).isEqualTo("404");
      assertThat(get("/q/absent?x=1")).isEqualTo("query-absent");
      assertThat(get("/q/absent")).isEqualTo("query-absent");
      assertThat(get("/q/absent?debug=0")).isEqualTo("404");
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Hosts extends Routes {
    @Override
    void define(Map<String, String> r) {
      r.put("api", "hosts: [api.example.com, API.other.com]\nmatch: {path: {prefix: /}}");
      r.put("api-only-x", "hosts: [api.example.com]\nmatch: {path: {prefix: /x}}");
      r.put("wild", "hosts: [\"*.example.com\"]\nmatch: {path: {prefix: /}}");
      r.put("wild-deep", "hosts: [\"*.eu.example.com\"]\nmatch: {path: {prefix: /deep}}");
      r.put("catch-all", "match: {path: {prefix: /}}");
    }

    @Test
    void anExactHostWinsCaseInsensitivelyAndWithoutPort() throws IOException {
      assertThat(routeOf("GET", "/", "api.example.com")).isEqualTo("api");
      assertThat(routeOf("GET", "/", "API.Example.COM:8080")).isEqualTo("api");
      assertThat(routeOf("GET", "/", "api.other.com")).isEqualTo("api");
      assertThat(routeOf("GET", "/x/1", "api.example.com")).isEqualTo("api-only-x");
    }

    @Test
    void aWildcardMatchesAnySubdomainButNotTheApex() throws IOException {
      assertThat(routeOf("GET", "/", "shop.example.com")).isEqualTo("wild");
      assertThat(routeOf("GET", "/", "a.b.example.com")).isEqualTo("wild");
      assertThat(routeOf("GET", "/", "example.com")).isEqualTo("catch-all");
      assertThat(routeOf("GET", "/", "badexample.com")).isEqualTo("catch-all");
    }

    @Test
    void theLongestMatchingWildcardChoosesTheGroupAndOnlyThatGroupIsSearched() throws IOException {
      assertThat(routeOf("GET", "/deep/1", "x.eu.example.com")).isEqualTo("wild-deep");
      // *.eu.example.com's group has no route for /other: 404, even though *.example.com would match.
      assertThat(routeOf("GET", "/other", "x.eu.example.com")).isEqualTo("404");
    }

    @Test
    void requestsWithoutAMatchingHostGoToTheRoutesWithoutHosts() throws IOException {
      assertThat(routeOf("GET", "/", "unknown.test")).isEqualTo("catch-all");
      assertThat(routeOf("GET", "/", "127.0.0.1:9999")).isEqualTo("catch-all");
    }

    @Test
    void theAbsoluteFormAuthorityIsTheHost() throws IOException {
      assertThat(routeOf("GET", "http://api.example.com/x", "unknown.test")).isEqualTo("api-only-x");
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Precedence extends Routes {
    @Override
    void define(Map<String, String> r) {
      // 1. priority beats everything
      r.put("prio-prefix", "priority: 10\nmatch: {path: {prefix: /p}}");
      r.put("prio-exact", "match: {path: {exact: /p/x}}");
      // 2. exact, then template, then prefix, then regex
      r.put("kind-exact", "match: {path: {exact: /k/1}}");
      r.put("kind-template", "match: {path: {template: \"/k/{id}\"}}");
      r.put("kind-prefix", "match: {path: {prefix: /k}}");
      r.put("kind-regex", "match: {path: {regex: \"/k.*\"}}");
      // 3. longer prefix in segments; template with more literal segments
      r.put("len-short", "match: {path: {prefix: /l}}");
      r.put("len-long", "match: {path: {prefix: /l/a/b}}");
      r.put("tpl-literal", "match: {path: {template: \"/t/{x}/z\"}}");
      r.put("tpl-params", "match: {path: {template: \"/t/{x}/{y}\"}}");
      // 4. methods before no methods
      r.put("meth-any", "match: {path: {prefix: /meth}}");
      r.put("meth-post", "match: {path: {prefix: /meth}, methods: [POST]}");
      // 5. more header conditions
      r.put("hdr-one", "match: {path: {prefix: /hdr}, headers: [{name: a, present: true}]}");
      r.put("hdr-two", "match: {path: {prefix: /hdr}, headers: [{name: a, present: true}, {name: b, present: true}]}");
      // 6. more query conditions
      r.put("qry-none", "match: {path: {prefix: /qry}}");
      r.put("qry-one", "match: {path: {prefix: /qry}, query: [{name: a, present: true}]}");
      // 4 before 5: methods beat header conditions
      r.put("mix-headers", "match: {path: {prefix: /mix}, headers: [{name: a, present: true}, {name: b, present: true}]}");
      r.put("mix-method", "match: {path: {prefix: /mix}, methods: [GET]}");
      // 7. name order
      r.put("tie-b", "match: {path: {prefix: /tie}}");
      r.put("tie-a", "match: {path: {prefix: /tie}}");
      // a regex wins only where nothing else matches
      r.put("rx-a", "match: {path: {regex: \"/rx/.*\"}}");
      r.put("rx-b", "priority: 1\nmatch: {path: {regex: \"/rx/b.*\"}}");
    }

    @Test
    void priorityBeatsAMoreSpecificPath() throws IOException {
      assertThat(get("/p/x")).isEqualTo("prio-prefix");
    }

    @Test
    void exactThenTemplateThenPrefixThenRegex() throws IOException {
      assertThat(get("/k/1")).isEqualTo("kind-exact");
      assertThat(get("/k/2")).isEqualTo("kind-template");
      assertThat(get("/k/2/3")).isEqualTo("kind-prefix");
      assertThat(get("/k")).isEqualTo("kind-prefix");
      assertThat(get("/kx")).isEqualTo("kind-regex");
    }

    @Test
    void theLongerPrefixWinsAndTheTemplateWithMoreLiterals() throws IOException {
      assertThat(get("/l/a/b/c")).isEqualTo("len-long");
      assertThat(get("/l/a/b")).isEqualTo("len-long");
      assertThat(get("/l/a/bc")).isEqualTo("len-short");
      assertThat(get("/l/a")).isEqualTo("len-short");
      assertThat(get("/t/1/z")).isEqualTo("tpl-literal");
      assertThat(get("/t/1/w")).isEqualTo("tpl-params");
    }

    @Test
    void aRouteWithMethodsBeatsOneWithout() throws IOException {
      assertThat(routeOf("POST", "/meth", "a", "Content-Length: 0")).isEqualTo("meth-post");
      assertThat(routeOf("GET", "/meth", "a")).isEqualTo("meth-any");
    }

    @Test
    void moreHeaderConditionsWin() throws IOException {
      assertThat(get("/hdr", "a: 1", "b: 2")).isEqualTo("hdr-two");
      assertThat(get("/hdr", "a: 1")).isEqualTo("hdr-one");
      assertThat(get("/hdr")).isEqualTo("404");
    }

    @Test
    void moreQueryConditionsWin() throws IOException {
      assertThat(get("/qry?a=1")).isEqualTo("qry-one");
      assertThat(get("/qry?b=1")).isEqualTo("qry-none");
    }

    @Test
    void methodsWeighMoreThanHeaderConditions() throws IOException {
      assertThat(get("/mix", "a: 1", "b: 1")).isEqualTo("mix-method");
      assertThat(routeOf("POST", "/mix", "a", "a: 1", "b: 1", "Content-Length: 0")).isEqualTo("mix-headers");
    }

    @Test
    void theNameBreaksATie() throws IOException {
      assertThat(get("/tie/x")).isEqualTo("tie-a");
    }

    @Test
    void amongRegexesPriorityDecides() throws IOException {
      assertThat(get("/rx/b1")).isEqualTo("rx-b");
      assertThat(get("/rx/a1")).isEqualTo("rx-a");
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class DirectResponses {
    GatewayFixture gw;

    @BeforeAll
    void start() throws Exception {
      gw = GatewayFixture.start("""
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec:
            address: 127.0.0.1:%d
          ---
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: created}
          spec:
            match: {path: {exact: /created}}
            directResponse:
              status: 201
              body: "made it\\n"
              headers: {X-Made-By: sluice, Cache-Control: no-store}
          ---
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: typed}
          spec:
            match: {path: {exact: /typed}}
            directResponse: {status: 503, body: '{"down":true}', headers: {Content-Type: application/json}}
          ---
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: empty}
          spec:
            match: {path: {exact: /empty}}
            directResponse: {status: 204}
          ---
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: echo}
          spec:
            match: {path: {prefix: /echo}}
            directResponse: {echo: true}
          """.formatted(0));
    }

    @AfterAll
    void stop() throws IOException {
      gw.close();
    }

    @Test
    void directResponseHasTheConfiguredStatusHeadersAndBody() throws IOException {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /created HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 201 Created");
        assertThat(r.header("x-made-by")).isEqualTo("sluice");
        assertThat(r.header("cache-control")).isEqualTo("no-store");
        assertThat(r.header("content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(r.header("content-length")).isEqualTo("8");
        assertThat(r.header("connection")).isNull();
        assertThat(r.body()).isEqualTo("made it\n");
        // keep-alive: a second request on the same connection
        c.send("GET /typed HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response t = c.readResponse();
        assertThat(t.statusLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
        assertThat(t.header("content-type")).isEqualTo("application/json");
        assertThat(t.headers().stream().filter(h -> h.getKey().equalsIgnoreCase("content-type")).count()).isEqualTo(1);
        assertThat(t.body()).isEqualTo("{\"down\":true}");
      }
    }

    @Test
    void directResponseWithoutBody() throws IOException {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /empty HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 204 No Content");
        // RFC 9110 §8.6: no Content-Length in a 204
        assertThat(r.header("content-length")).isNull();
        c.send("HEAD /created HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response h = c.readHeadResponse();
        assertThat(h.status()).isEqualTo(201);
        assertThat(h.header("content-length")).isEqualTo("8");
        c.send("GET /created HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        RawConnection.Response last = c.readResponse();
        assertThat(last.body()).isEqualTo("made it\n");
        assertThat(last.header("connection")).isEqualTo("close");
        assertThat(c.closedByPeer(java.time.Duration.ofSeconds(5))).isTrue();
      }
    }

    @Test
    void echoDescribesTheRequestAsJson() throws IOException {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /echo/hello?x=1&y=%22 HTTP/1.1\r\nHost: echo.test\r\nX-Quote: say \"hi\"\r\nContent-Length: 3\r\n\r\nabc");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.body()).isEqualTo("{\"method\":\"POST\",\"path\":\"/echo/hello\",\"query\":\"x=1&y=%22\","
            + "\"clientIp\":\"127.0.0.1\",\"headers\":{\"Host\":\"echo.test\",\"X-Quote\":\"say \\\"hi\\\"\","
            + "\"Content-Length\":\"3\"}}\n");
        // the body was read and dropped: the next request is understood
        c.send("GET /echo HTTP/1.1\r\nHost: b\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo(
            "{\"method\":\"GET\",\"path\":\"/echo\",\"query\":null,\"clientIp\":\"127.0.0.1\",\"headers\":{\"Host\":\"b\"}}\n");
      }
    }
  }
}
