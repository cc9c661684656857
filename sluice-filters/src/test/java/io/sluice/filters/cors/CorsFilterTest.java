package io.sluice.filters.cors;

import static io.sluice.filters.testing.Gateways.get;
import static io.sluice.filters.testing.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CorsFilterTest {
  private static final String CONFIG = """
      filters:
        - kind: cors
          config:
            allowOrigins: [https://app.example.com, "https://*.example.org"]
            allowMethods: [GET, POST, PUT]
            allowHeaders: [Authorization, Content-Type]
            exposeHeaders: [X-Request-Id, X-Total]
            allowCredentials: true
            maxAge: 10m
      """;

  @Test
  void answersAPreflightFromAnAllowedOriginItself() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = Gateways.withRoute(up.address(), CONFIG)) {
      RawConnection.Response r = send(gw, "OPTIONS", "/orders", "Origin: https://app.example.com",
          "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 204 No Content");
      assertThat(r.headers()).containsExactly(
          Map.entry("Access-Control-Allow-Origin", "https://app.example.com"),
          Map.entry("Access-Control-Allow-Methods", "GET, POST, PUT"),
          Map.entry("Access-Control-Allow-Headers", "Authorization, Content-Type"),
          Map.entry("Access-Control-Allow-Credentials", "true"),
          Map.entry("Access-Control-Max-Age", "600"),
          Map.entry("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"));
      // a wildcard pattern matches subdomains at any depth
      RawConnection.Response sub = send(gw, "OPTIONS", "/x", "Origin: https://a.b.example.org", "Access-Control-Request-Method: GET");
      assertThat(sub.status()).isEqualTo(204);
      assertThat(sub.header("access-control-allow-origin")).isEqualTo("https://a.b.example.org");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void refusesAPreflightFromAnotherOriginOrForAnotherMethod() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = Gateways.withRoute(up.address(), CONFIG)) {
      for (String[] h : new String[][] {
          {"Origin: https://evil.example", "Access-Control-Request-Method: GET"},
          {"Origin: https://example.org", "Access-Control-Request-Method: GET"},
          {"Origin: https://app.example.com.evil.example", "Access-Control-Request-Method: GET"},
          {"Origin: https://app.example.com", "Access-Control-Request-Method: DELETE"}}) {
        RawConnection.Response r = send(gw, "OPTIONS", "/orders", h);
        assertThat(r.status()).as(String.join(" ", h)).isEqualTo(403);
        assertThat(r.header("x-sluice-reason")).isEqualTo("cors_forbidden");
        assertThat(r.header("access-control-allow-origin")).isNull();
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void addsTheHeadersToResponsesForAllowedOriginsOnly() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Vary", "Accept-Encoding"), "ok"));
        GatewayFixture gw = Gateways.withRoute(up.address(), CONFIG)) {
      RawConnection.Response r = get(gw, "/orders", "Origin: https://app.example.com");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      assertThat(r.header("access-control-allow-origin")).isEqualTo("https://app.example.com");
      assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
      assertThat(r.header("access-control-expose-headers")).isEqualTo("X-Request-Id, X-Total");
      assertThat(Gateways.values(r, "vary")).containsExactly("Accept-Encoding", "Origin");
      assertThat(up.take().header("origin")).isEqualTo("https://app.example.com");

      RawConnection.Response other = get(gw, "/orders", "Origin: https://evil.example");
      assertThat(other.status()).isEqualTo(200);
      assertThat(other.header("access-control-allow-origin")).isNull();
      assertThat(up.take().header("origin")).isEqualTo("https://evil.example");

      RawConnection.Response none = get(gw, "/orders");
      assertThat(none.header("access-control-allow-origin")).isNull();
      assertThat(none.header("vary")).isEqualTo("Accept-Encoding");
      up.take();
      // OPTIONS without Access-Control-Request-Method is an ordinary request
      assertThat(send(gw, "OPTIONS", "/orders", "Origin: https://app.example.com").status()).isEqualTo(200);
      assertThat(up.take().method()).isEqualTo("OPTIONS");
    }
  }

  @Test
  void anyOriginWithoutCredentialsAnswersStarAndEchoesAskedHeaders() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(),
            "filters: [{kind: cors, config: {allowOrigins: [\"*\"], allowHeaders: [\"*\"]}}]")) {
      RawConnection.Response pre = send(gw, "OPTIONS", "/", "Origin: https://x.test",
          "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: x-a, x-b");
      assertThat(pre.status()).isEqualTo(204);
      assertThat(pre.header("access-control-allow-origin")).isEqualTo("*");
      assertThat(pre.header("access-control-allow-headers")).isEqualTo("x-a, x-b");
      assertThat(pre.header("access-control-max-age")).isEqualTo("5");
      assertThat(pre.header("vary")).isNull();
      RawConnection.Response r = get(gw, "/", "Origin: https://x.test");
      assertThat(r.header("access-control-allow-origin")).isEqualTo("*");
      assertThat(r.header("vary")).isNull();
    }
  }

  @Test
  void badSettingsAreRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - kind: cors
          config:
            allowOrigins: [https://ok.example, "https://app.example.com/path", "*"]
            allowMethods: [get]
            allowHeaders: ["bad header"]
            allowCredentials: true
        - {kind: cors, config: {}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.allowOrigins[1]: invalid origin 'https://app.example.com/path': expected "
            + "scheme://host[:port] in lower case, such as https://app.example.com or https://*.example.com, without a path",
        "Route/r: spec.filters[0].config.allowOrigins[2]: '*' cannot be used with allowCredentials: true (browsers refuse it); list the origins",
        "Route/r: spec.filters[0].config.allowMethods[0]: invalid method 'get': expected an upper-case token such as PUT",
        "Route/r: spec.filters[0].config.allowHeaders[0]: invalid header name 'bad header': expected a token such as x-api-key",
        "Route/r: spec.filters[1].config.allowOrigins: missing; expected origins such as https://app.example.com, or \"*\"");
  }
}
