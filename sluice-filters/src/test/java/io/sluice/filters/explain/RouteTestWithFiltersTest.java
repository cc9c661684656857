package io.sluice.filters.explain;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.RouteDecision;
import io.sluice.proxy.testing.GatewayFixture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code Gateway.explain} (the CLI's route-test) names the filter chain and follows canary rules. */
class RouteTestWithFiltersTest {
  private static GatewayFixture gw;

  @BeforeAll
  static void start() throws Exception {
    gw = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: stable}
        spec: {endpoints: [{address: 127.0.0.1:9}]}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: canary}
        spec: {endpoints: [{address: 127.0.0.1:9}]}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: shop}
        spec:
          match: {path: {prefix: /shop}}
          filters:
            - {kind: header, name: team, config: {request: {set: {x-team: shop}}}}
            - {kind: cors, config: {allowOrigins: ["https://shop.example.com"]}}
          upstream: stable
          canary: [{when: {header: {name: x-canary, exact: "1"}}, upstream: canary}]
        """.formatted(0));
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void routeTestListsTheFilterChainInOrder() {
    RouteDecision d = gw.gateway().explain(null, "GET", "http://shop.example.com/shop/cart", List.of());
    assertThat(d.route()).isEqualTo("shop");
    assertThat(d.upstream()).isEqualTo("stable");
    assertThat(d.filters()).hasSize(2);
    assertThat(d.filters().get(0)).contains("spec.filters[0]");
    assertThat(d.filters().get(1)).contains("spec.filters[1]");
  }

  @Test
  void routeTestFollowsCanaryRules() {
    RouteDecision d = gw.gateway().explain(null, "GET", "http://shop.example.com/shop/cart", List.of(Map.entry("x-canary", "1")));
    assertThat(d.upstream()).isEqualTo("canary");
  }
}
