package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.proxy.RouteDecision;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code Gateway.explain} answers what a real request gets: checked against requests sent through
 * the same gateway to an upstream that reports the path and Host it received.
 */
class ExplainTest {
  private static TestUpstream upstream;
  private static GatewayFixture gw;
  private static int publicPort;

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.start("orders", (req, ex) -> ex.respond(200, Map.of(), req.target() + " " + req.header("Host")));
    gw = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: zadmin}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec:
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: orders-api}
        spec:
          listeners: [public]
          hosts: [api.example.com]
          match:
            path: {prefix: /api/orders}
          rewrite: {pathPrefix: /v2/orders, host: orders.internal}
          upstream: orders
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: orders-canary}
        spec:
          listeners: [public]
          hosts: [api.example.com]
          match:
            path: {prefix: /api/orders}
            headers: [{name: x-canary, exact: "1"}]
          upstream: orders
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: admin-only}
        spec:
          listeners: [zadmin]
          match:
            path: {exact: /admin}
          directResponse: {status: 200, body: admin}
        """.formatted(0, 0, upstream.address()));
    publicPort = gw.port("public");
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (upstream != null) upstream.close();
  }

  @Test
  void aMatchNamesListenerRouteUpstreamAndTheRewrittenPathAndHostThatARealRequestGets() throws Exception {
    RouteDecision d = gw.gateway().explain(null, "GET", "http://api.example.com/api/orders/%61/../7?x=1", List.of());

    assertThat(d).isEqualTo(new RouteDecision("public", "orders-api", "orders", List.of(), "/v2/orders/7?x=1", "orders.internal"));
    assertThat(d.matched()).isTrue();
    try (RawConnection c = RawConnection.open(publicPort)) {
      RawConnection.Response real = c.send("GET /api/orders/%61/../7?x=1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n").readResponse();
      assertThat(real.body()).isEqualTo("/v2/orders/7?x=1 orders.internal");
    }
  }

  @Test
  void headersTakePartInTheMatchAndTheClientsHostIsKeptWithoutARewrite() {
    RouteDecision d = gw.gateway().explain(null, "GET", "http://API.example.com:8080/api/orders",
        List.of(Map.entry("X-Canary", "1")));

    assertThat(d).isEqualTo(new RouteDecision("public", "orders-canary", "orders", List.of(), "/api/orders", "API.example.com:8080"));
  }

  @Test
  void anOriginFormUrlTakesItsHostFromTheHeaders() {
    RouteDecision d = gw.gateway().explain("public", "GET", "/api/orders/1", List.of(Map.entry("Host", "api.example.com")));

    assertThat(d.route()).isEqualTo("orders-api");
    assertThat(d.path()).isEqualTo("/v2/orders/1");
  }

  @Test
  void withoutAListenerTheFirstListenerWhoseRoutesMatchDecidesAndADirectResponseHasNoUpstream() {
    RouteDecision d = gw.gateway().explain(null, "GET", "http://anything/admin", List.of());

    assertThat(d).isEqualTo(new RouteDecision("zadmin", "admin-only", null, List.of(), "/admin", "anything"));
  }

  @Test
  void noMatchNamesTheListenerAskedAndLeavesTheRestNull() {
    RouteDecision onPublic = gw.gateway().explain("public", "GET", "http://anything/admin", List.of());
    RouteDecision anywhere = gw.gateway().explain(null, "GET", "http://nowhere.example/x", List.of());

    assertThat(onPublic).isEqualTo(new RouteDecision("public", null, null, List.of(), null, null));
    assertThat(onPublic.matched()).isFalse();
    assertThat(anywhere).isEqualTo(new RouteDecision("public", null, null, List.of(), null, null));
  }

  @Test
  void anUnknownListenerAMalformedRequestAndAMissingHostAreRefusedWithTheReason() {
    assertThatThrownBy(() -> gw.gateway().explain("nope", "GET", "http://a/", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no listener named 'nope'; listeners: public, zadmin");
    assertThatThrownBy(() -> gw.gateway().explain(null, "GET", "http://a/%zz", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the proxy would refuse this request: ");
    assertThatThrownBy(() -> gw.gateway().explain(null, "GET", "/x", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("url /x has no host: give an absolute URL (http://host/path) or a Host header");
    assertThatThrownBy(() -> gw.gateway().explain(null, "GET", "http://a/", List.of(Map.entry("X-A", "1\r\nHost: b"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header X-A: CR and LF are not allowed in a header field");
  }
}
