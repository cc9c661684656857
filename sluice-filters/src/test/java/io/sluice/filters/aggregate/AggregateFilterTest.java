package io.sluice.filters.aggregate;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AggregateFilterTest {
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  private static String upstream(String name, String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: %s}
        spec:
          endpoints: [{address: "%s"}]
        ---
        """.formatted(name, address);
  }

  /** Users answers {@code /users/7}; the route's own upstream must never be called. */
  private static TestUpstream users() throws Exception {
    return TestUpstream.start("users", (req, ex) -> {
      if (req.target().equals("/users/7")) ex.respond(200, JSON, "{\"id\":7,\"name\":\"Ann\",\"profile\":{\"city\":\"Oslo\"}}");
      else ex.respond(404, JSON, "{}");
    });
  }

  private static GatewayFixture gateway(TestUpstream backend, String upstreams, String config) throws Exception {
    return Gateways.start(backend.address(), upstreams + Gateways.route("summary", "filters: [{kind: aggregate, config: " + config + "}]"));
  }

  private static final String CALLS = "pathPattern: \"^/users/(?<id>[0-9]+)/summary$\", forwardHeaders: [Authorization], calls: ["
      + "{name: user, upstream: users, path: \"/users/{id}\"}, "
      + "{name: orders, upstream: orders, path: \"/orders?user={id}&limit={query.limit}\", headers: {X-Caller: summary}}]";

  @Test
  void answersOneFieldPerCallFromTwoUpstreams() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream users = users();
        TestUpstream orders = TestUpstream.start("orders", (req, ex) -> ex.respond(200, JSON, "[{\"id\":1},{\"id\":2}]"));
        GatewayFixture gw = gateway(backend, upstream("users", users.address()) + upstream("orders", orders.address()),
            "{" + CALLS + "}")) {
      RawConnection.Response r = get(gw, "/users/7/summary?limit=5%2B1", "Authorization: Bearer t0k", "X-Other: no");
      assertThat(r.status()).isEqualTo(200);
      String body = "{\"user\":{\"id\":7,\"name\":\"Ann\",\"profile\":{\"city\":\"Oslo\"}},\"orders\":[{\"id\":1},{\"id\":2}]}";
      assertThat(r.headers()).containsExactly(
          Map.entry("Content-Type", "application/json"), Map.entry("Content-Length", Integer.toString(body.length())));
      assertThat(r.body()).isEqualTo(body);

      TestUpstream.Received u = users.take();
      assertThat(u.method()).isEqualTo("GET");
      assertThat(u.target()).isEqualTo("/users/7");
      assertThat(u.header("authorization")).isEqualTo("Bearer t0k");
      assertThat(u.header("accept")).isEqualTo("application/json");
      assertThat(u.header("x-other")).isNull();
      assertThat(u.header("x-caller")).isNull();
      TestUpstream.Received o = orders.take();
      // the query parameter is decoded, then encoded again for the call
      assertThat(o.target()).isEqualTo("/orders?user=7&limit=5%2B1");
      assertThat(o.header("x-caller")).isEqualTo("summary");
      assertThat(o.header("authorization")).isEqualTo("Bearer t0k");
      assertThat(backend.received()).isEmpty();
    }
  }

  @Test
  void aFailedCallAnswers502NamingItByDefault() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream users = users();
        TestUpstream orders = TestUpstream.start("orders", (req, ex) -> ex.respond(500, JSON, "{\"error\":\"db down\"}"));
        GatewayFixture gw = gateway(backend, upstream("users", users.address()) + upstream("orders", orders.address()),
            "{" + CALLS + "}")) {
      RawConnection.Response r = get(gw, "/users/7/summary");
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-sluice-reason")).isEqualTo("aggregate_failed");
      assertThat(r.body()).isEqualTo("{\"status\":502,\"reason\":\"aggregate_failed\",\"message\":\"call 'orders' failed: status 500\"}\n");
      assertThat(users.take().target()).isEqualTo("/users/7");
      assertThat(orders.take().target()).isEqualTo("/orders?user=7&limit=");
    }
  }

  @Test
  void withoutFailOnErrorFailedCallsAreNullAndExplainedInErrors() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream users = users();
        TestUpstream orders = TestUpstream.start("orders", (req, ex) -> ex.respond(500, JSON, "{}"));
        TestUpstream slow = TestUpstream.start("slow", (req, ex) -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, JSON, "{}");
        });
        TestUpstream text = TestUpstream.start("text", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/html"), "<p>hi</p>"));
        GatewayFixture gw = gateway(backend,
            upstream("users", users.address()) + upstream("orders", orders.address()) + upstream("slow", slow.address())
                + upstream("text", text.address()) + upstream("down", "127.0.0.1:" + GatewayFixture.closedPort()),
            "{failOnError: false, calls: [{name: user, upstream: users, path: /users/7}, {name: orders, upstream: orders, path: /o},"
                + " {name: slow, upstream: slow, path: /s, timeout: 300ms}, {name: text, upstream: text, path: /t},"
                + " {name: down, upstream: down, path: /d}]}")) {
      RawConnection.Response r = get(gw, "/anything");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"user\":{\"id\":7,\"name\":\"Ann\",\"profile\":{\"city\":\"Oslo\"}},\"orders\":null,"
          + "\"slow\":null,\"text\":null,\"down\":null,\"errors\":{\"orders\":\"status 500\",\"slow\":\"timed out after 300ms\","
          + "\"text\":\"the response is not JSON\",\"down\":\"could not connect\"}}");
      assertThat(slow.take().target()).isEqualTo("/s");
      release.countDown();
    }
  }

  @Test
  void deepMergeCombinesTheObjectsInCallOrder() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream users = users();
        TestUpstream prefs = TestUpstream.start("prefs", (req, ex) ->
            ex.respond(200, JSON, "{\"profile\":{\"theme\":\"dark\",\"city\":\"Bergen\"},\"flags\":[1]}"));
        GatewayFixture gw = gateway(backend, upstream("users", users.address()) + upstream("prefs", prefs.address()),
            "{merge: deep, calls: [{name: user, upstream: users, path: /users/7}, {name: prefs, upstream: prefs, path: \"{path}?{query}\"}]}")) {
      RawConnection.Response r = get(gw, "/me/prefs?v=2");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"id\":7,\"name\":\"Ann\",\"profile\":{\"city\":\"Bergen\",\"theme\":\"dark\"},\"flags\":[1]}");
      assertThat(prefs.take().target()).isEqualTo("/me/prefs?v=2");
    }
  }

  @Test
  void aPathThePatternDoesNotMatchGets404AndNoCalls() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream users = users();
        TestUpstream orders = TestUpstream.start("orders", (req, ex) -> ex.respond(200, JSON, "[]"));
        GatewayFixture gw = gateway(backend, upstream("users", users.address()) + upstream("orders", orders.address()),
            "{" + CALLS + "}")) {
      RawConnection.Response r = get(gw, "/users/abc/summary");
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.body()).isEqualTo("{\"status\":404,\"reason\":\"not_found\",\"message\":\"the path does not match the aggregate's pathPattern\"}\n");
      assertThat(users.received()).isEmpty();
      assertThat(orders.received()).isEmpty();
    }
  }

  @Test
  void badConfigsAreRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: aggregate}
        - kind: aggregate
          config:
            pathPattern: "^/u/(?<id>[0-9]+)$"
            forwardHeaders: [Host]
            calls:
              - {name: errors, upstream: users, path: "/u/{uid}"}
              - {upstream: users, method: "GE T", path: "users"}
              - {name: a, path: "/a/{id}", headers: {Content-Length: "1"}, timeout: 0s}
              - {name: a, upstream: users, path: "/a b"}
        - {kind: aggregate, config: {pathPattern: "(", calls: [{name: x, upstream: ghost, path: /x}]}}
        - {kind: aggregate, config: {calls: [{name: x, upstream: ghost, path: /x}]}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.calls: missing; expected at least one call such as "
            + "{name: user, upstream: users, path: /users/{query.id}}",
        "Route/r: spec.filters[1].config.calls[0].name: 'errors' is the field that reports failed calls; expected another name",
        "Route/r: spec.filters[1].config.calls[0].path: unknown placeholder {uid}; expected {path}, {query}, {method}, "
            + "{query.NAME}, {header.NAME} or a group of pathPattern: id",
        "Route/r: spec.filters[1].config.calls[1].name: missing; expected the call's name, its field in the answer",
        "Route/r: spec.filters[1].config.calls[1].method: invalid method 'GE T'; expected a method such as GET",
        "Route/r: spec.filters[1].config.calls[1].path: expected a path starting with '/' or {path}, got 'users'",
        "Route/r: spec.filters[1].config.calls[2].upstream: missing; expected the name of an Upstream",
        "Route/r: spec.filters[1].config.calls[2].headers.Content-Length: header Content-Length is written by the HTTP client; "
            + "it cannot be set on a call",
        "Route/r: spec.filters[1].config.calls[2].timeout: expected a duration above zero, got PT0S",
        "Route/r: spec.filters[1].config.calls[3].name: 'a' is used twice; call names must be unique",
        "Route/r: spec.filters[1].config.calls[3].path: invalid character ' ' in '/a b': percent-encode it",
        "Route/r: spec.filters[1].config.forwardHeaders[0]: header Host is written by the HTTP client; it cannot be set on a call",
        "Route/r: spec.filters[2].config.pathPattern: invalid regular expression: Unclosed group near position 1",
        "Route/r: spec.filters[3].config.calls[0].upstream: Upstream 'ghost' does not exist");
  }
}
