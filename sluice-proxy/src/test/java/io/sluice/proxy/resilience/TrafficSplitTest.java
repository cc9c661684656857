package io.sluice.proxy.resilience;

import static io.sluice.proxy.resilience.Configs.route;
import static io.sluice.proxy.resilience.Configs.upstream;
import static io.sluice.proxy.resilience.Configs.withListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Weighted upstreams, canary rules on headers, cookies and query, and traffic colouring, through
 * the real proxy to two real upstreams that answer with their name.
 */
class TrafficSplitTest {
  private TestUpstream v1;
  private TestUpstream v2;

  @BeforeEach
  void upstreams() throws IOException {
    v1 = TestUpstream.named("v1");
    v2 = TestUpstream.named("v2");
  }

  @AfterEach
  void close() throws IOException {
    v1.close();
    v2.close();
  }

  private GatewayFixture gateway(String routeSpec) throws Exception {
    return GatewayFixture.start(withListener(
        upstream("v1", "  endpoints: [{address: \"" + v1.address() + "\"}]")
            + upstream("v2", "  endpoints: [{address: \"" + v2.address() + "\"}]")
            + route("split", routeSpec)));
  }

  private static RawConnection.Response get(RawConnection c, String target, String... headerLines) throws IOException {
    StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: shop\r\n");
    for (String h : headerLines) req.append(h).append("\r\n");
    c.send(req.append("\r\n").toString());
    return c.readResponse();
  }

  private static String who(GatewayFixture gw, String target, String... headerLines) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, target, headerLines);
      assertThat(r.status()).isEqualTo(200);
      return r.body();
    }
  }

  @Test
  void weightedSplitSendsAboutNinetyTenOfAThousandRequests() throws Exception {
    try (GatewayFixture gw = gateway("  upstreams: [{name: v1, weight: 90}, {name: v2, weight: 10}]")) {
      Map<String, Integer> counts = new HashMap<>();
      // Over four connections, so both event loops take part.
      for (int k = 0; k < 4; k++) {
        try (RawConnection c = RawConnection.open(gw.port())) {
          for (int i = 0; i < 250; i++) {
            RawConnection.Response r = get(c, "/item/" + i);
            assertThat(r.status()).isEqualTo(200);
            counts.merge(r.body(), 1, Integer::sum);
          }
        }
      }
      assertThat(counts.keySet()).containsExactlyInAnyOrder("v1", "v2");
      assertThat(counts.get("v1") + counts.get("v2")).isEqualTo(1000);
      // Expected 100 (standard deviation about 9.5): 50..160 fails a correct split with negligible
      // probability, and an ignored split (0 or 1000, or 500 for an even one) always.
      assertThat(counts.get("v2")).isBetween(50, 160);
      assertThat(v1.received()).hasSize(counts.get("v1"));
      assertThat(v2.received()).hasSize(counts.get("v2"));
    }
  }

  @Test
  void zeroWeightDestinationGetsNothingButACanaryRuleCanStillNameIt() throws Exception {
    try (GatewayFixture gw = gateway("""
          upstreams: [{name: v1, weight: 1}, {name: v2, weight: 0}]
          canary: [{when: {header: {name: x-canary, exact: "1"}}, upstream: v2}]
        """)) {
      for (int i = 0; i < 20; i++) assertThat(who(gw, "/")).isEqualTo("v1");
      assertThat(who(gw, "/", "X-Canary: 1")).isEqualTo("v2");
    }
  }

  @Test
  void canaryHeaderRuleSendsOnlyMatchingRequestsToTheCanary() throws Exception {
    try (GatewayFixture gw = gateway("""
          upstream: v1
          canary: [{when: {header: {name: x-canary, exact: "1"}}, upstream: v2}]
        """)) {
      assertThat(who(gw, "/a", "X-Canary: 1")).isEqualTo("v2");
      assertThat(who(gw, "/b", "x-canary: 1")).isEqualTo("v2");
      assertThat(who(gw, "/c", "X-Canary: 2")).isEqualTo("v1");
      assertThat(who(gw, "/d")).isEqualTo("v1");
      assertThat(v2.take().target()).isEqualTo("/a");
      assertThat(v2.take().target()).isEqualTo("/b");
      assertThat(v2.received()).isEmpty();
    }
  }

  @Test
  void canaryCookieRuleReadsOneCookieOfTheCookieHeader() throws Exception {
    try (GatewayFixture gw = gateway("""
          upstream: v1
          canary: [{when: {cookie: {name: beta, exact: "yes"}}, upstream: v2}]
        """)) {
      assertThat(who(gw, "/", "Cookie: session=abc; beta=yes; theme=dark")).isEqualTo("v2");
      assertThat(who(gw, "/", "Cookie: beta=\"yes\"")).isEqualTo("v2");
      assertThat(who(gw, "/", "Cookie: beta=no")).isEqualTo("v1");
      assertThat(who(gw, "/", "Cookie: notbeta=yes")).isEqualTo("v1");
      assertThat(who(gw, "/", "X-Beta: yes")).isEqualTo("v1");
      // The cookie reaches the upstream unchanged.
      assertThat(v2.take().header("cookie")).isEqualTo("session=abc; beta=yes; theme=dark");
    }
  }

  @Test
  void canaryQueryRuleReadsTheDecodedParameter() throws Exception {
    try (GatewayFixture gw = gateway("""
          upstream: v1
          canary: [{when: {query: {name: version, regex: "2(\\\\.[0-9]+)?"}}, upstream: v2}]
        """)) {
      assertThat(who(gw, "/p?version=2")).isEqualTo("v2");
      assertThat(who(gw, "/p?a=1&version=2%2E1")).isEqualTo("v2");
      assertThat(who(gw, "/p?version=3")).isEqualTo("v1");
      assertThat(who(gw, "/p")).isEqualTo("v1");
      assertThat(v2.take().target()).isEqualTo("/p?version=2");
    }
  }

  @Test
  void canaryRulesAreTriedInOrderAndAllConditionsOfARuleMustHold() throws Exception {
    try (GatewayFixture gw = gateway("""
          upstreams: [{name: v1, weight: 1}]
          canary:
            - {when: {header: {name: x-user, exact: alice}, query: {name: beta, present: true}}, upstream: v2}
            - {when: {header: {name: x-user, exact: alice}}, upstream: v1}
        """)) {
      assertThat(who(gw, "/?beta", "X-User: alice")).isEqualTo("v2");
      assertThat(who(gw, "/", "X-User: alice")).isEqualTo("v1");
      assertThat(who(gw, "/?beta", "X-User: bob")).isEqualTo("v1");
    }
  }

  @Test
  void colourIsSetForTheUpstreamAndReadByTheRoutesCanaryRule() throws Exception {
    try (GatewayFixture gw = gateway("""
          upstream: v1
          colour: {header: X-Sluice-Colour, value: blue}
          canary: [{when: {header: {name: x-sluice-colour, exact: blue}}, upstream: v2}]
        """)) {
      assertThat(who(gw, "/painted")).isEqualTo("v2");
      TestUpstream.Received r = v2.take();
      assertThat(r.header("x-sluice-colour")).isEqualTo("blue");
      assertThat(r.headerCount("x-sluice-colour")).isEqualTo(1);
      // A colour the client sent is replaced, never forwarded beside the route's.
      assertThat(who(gw, "/painted", "X-Sluice-Colour: red", "x-sluice-colour: green")).isEqualTo("v2");
      r = v2.take();
      assertThat(r.header("x-sluice-colour")).isEqualTo("blue");
      assertThat(r.headerCount("x-sluice-colour")).isEqualTo(1);
      assertThat(v1.received()).isEmpty();
    }
  }

  @Test
  void colourOfOneRouteIsSeenByTheRouteMatchOfTheNextGateway() throws Exception {
    // Two gateways in a row: the edge colours, the inner one routes on the colour.
    try (GatewayFixture inner = GatewayFixture.start(withListener(
        upstream("v1", "  endpoints: [{address: \"" + v1.address() + "\"}]")
            + upstream("v2", "  endpoints: [{address: \"" + v2.address() + "\"}]")
            + route("blue", "  match: {headers: [{name: x-sluice-colour, exact: blue}]}\n  upstream: v2")
            + route("rest", "  upstream: v1")));
        GatewayFixture edge = GatewayFixture.start(withListener(
            upstream("inner", "  endpoints: [{address: \"127.0.0.1:" + inner.port() + "\"}]")
                + route("painted", "  match: {path: {prefix: /painted}}\n  upstream: inner\n"
                    + "  colour: {header: x-sluice-colour, value: blue}")
                + route("plain", "  upstream: inner")))) {
      assertThat(who(edge, "/painted/x")).isEqualTo("v2");
      assertThat(who(edge, "/other")).isEqualTo("v1");
      assertThat(v2.take().header("x-sluice-colour")).isEqualTo("blue");
      assertThat(v1.take().header("x-sluice-colour")).isNull();
    }
  }
}
