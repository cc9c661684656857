package io.sluice.filters.rewrite;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import org.junit.jupiter.api.Test;

class RewriteFilterTest {
  @Test
  void replacesAPathPrefixOnSegmentBoundariesAndKeepsTheQuery() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(),
            "filters: [{kind: rewrite, config: {pathPrefix: {match: /api/v1, replace: /v1}}}]")) {
      assertThat(get(gw, "/api/v1/orders?page=2").status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/v1/orders?page=2");
      get(gw, "/api/v1");
      assertThat(up.take().target()).isEqualTo("/v1");
      get(gw, "/api/v10/x");
      assertThat(up.take().target()).isEqualTo("/api/v10/x");
    }
  }

  @Test
  void aPrefixReplacedByTheRootDoesNotDoubleTheSlash() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(),
            "filters: [{kind: rewrite, config: {pathPrefix: {match: /api/, replace: /}}}]")) {
      get(gw, "/api/x/y");
      assertThat(up.take().target()).isEqualTo("/x/y");
      get(gw, "/api");
      assertThat(up.take().target()).isEqualTo("/");
    }
  }

  @Test
  void rewritesWithRegexCaptureGroupsAndSetsTheHost() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), """
            filters:
              - kind: rewrite
                config:
                  pathRegex: {match: "^/users/(?<id>[0-9]+)/(.*)$", replace: "/profiles/${id}/v2/$2"}
                  host: users.internal:8080
            """)) {
      get(gw, "/users/42/settings/mail?x=1");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/profiles/42/v2/settings/mail?x=1");
      assertThat(got.header("host")).isEqualTo("users.internal:8080");
      assertThat(got.header("x-forwarded-host")).isEqualTo("test.local");
      get(gw, "/other");
      assertThat(up.take().target()).isEqualTo("/other");
    }
  }

  @Test
  void badRulesAreRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: rewrite, config: {}}
        - {kind: rewrite, config: {pathRegex: {match: "(["}}}
        - {kind: rewrite, config: {pathRegex: {match: "^/a/(.*)$", replace: "/b/$2"}}}
        - {kind: rewrite, config: {pathRegex: {match: "^/a/(.*)$", replace: "/b c/$1"}}}
        - {kind: rewrite, config: {pathPrefix: {match: api, replace: /}, host: "bad host"}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config: nothing to rewrite; expected pathPrefix, pathRegex or host",
        "Route/r: spec.filters[1].config.pathRegex.match: invalid regular expression '([': Unclosed character class",
        "Route/r: spec.filters[1].config.pathRegex.replace: missing; expected the replacement, e.g. /users/$1",
        "Route/r: spec.filters[2].config.pathRegex.replace: invalid replacement '/b/$2': $2 refers to no group; the pattern has 1",
        "Route/r: spec.filters[3].config.pathRegex.replace: invalid character ' ' in '/b c/$1': percent-encode it",
        "Route/r: spec.filters[4].config.pathPrefix.match: expected a path starting with '/', got 'api'",
        "Route/r: spec.filters[4].config.host: invalid host 'bad host': expected host or host:port such as api.internal:8080");
  }
}
