package io.sluice.filters.cors;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.testing.ClientResponse;
import io.sluice.filter.testing.FilterHarness;
import io.sluice.filter.testing.HeaderField;
import io.sluice.filter.testing.TestExchange;
import io.sluice.filter.testing.TestRequest;
import io.sluice.filter.testing.TestResponse;
import io.sluice.filters.testing.Configs;
import org.junit.jupiter.api.Test;

class CorsFilterTest {
  private static final String CONFIG = """
      allowOrigins: [https://app.example.com, "https://*.example.org"]
      allowMethods: [GET, POST, PUT]
      allowHeaders: [Authorization, Content-Type]
      exposeHeaders: [X-Request-Id, X-Total]
      allowCredentials: true
      maxAge: 10m
      """;

  private static FilterHarness harness(String config) {
    return FilterHarness.builder(new CorsFilterFactory()).config(config).build();
  }

  private static TestRequest request(String method, String target, String... headers) {
    TestRequest.Builder b = TestRequest.builder(method, target);
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return b.build();
  }

  @Test
  void answersAPreflightFromAnAllowedOriginItself() {
    try (FilterHarness h = harness(CONFIG)) {
      TestExchange x = h.run(request("OPTIONS", "/orders", "Origin", "https://app.example.com",
          "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type"));
      assertThat(x.answered()).isTrue();
      ClientResponse r = x.response();
      assertThat(r.status()).isEqualTo(204);
      assertThat(r.headers()).containsExactly(
          new HeaderField("Access-Control-Allow-Origin", "https://app.example.com"),
          new HeaderField("Access-Control-Allow-Methods", "GET, POST, PUT"),
          new HeaderField("Access-Control-Allow-Headers", "Authorization, Content-Type"),
          new HeaderField("Access-Control-Allow-Credentials", "true"),
          new HeaderField("Access-Control-Max-Age", "600"),
          new HeaderField("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"));
      assertThat(r.body()).isEmpty();
      // a wildcard pattern matches subdomains at any depth
      ClientResponse sub = h.run(request("OPTIONS", "/x", "Origin", "https://a.b.example.org",
          "Access-Control-Request-Method", "GET")).response();
      assertThat(sub.status()).isEqualTo(204);
      assertThat(sub.header("access-control-allow-origin")).isEqualTo("https://a.b.example.org");
    }
  }

  @Test
  void refusesAPreflightFromAnotherOriginOrForAnotherMethod() {
    try (FilterHarness h = harness(CONFIG)) {
      for (String[] headers : new String[][] {
          {"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"},
          {"Origin", "https://example.org", "Access-Control-Request-Method", "GET"},
          {"Origin", "https://app.example.com.evil.example", "Access-Control-Request-Method", "GET"},
          {"Origin", "https://app.example.com", "Access-Control-Request-Method", "DELETE"}}) {
        TestExchange x = h.run(request("OPTIONS", "/orders", headers));
        assertThat(x.answered()).as(String.join(" ", headers)).isTrue();
        assertThat(x.response().status()).as(String.join(" ", headers)).isEqualTo(403);
        assertThat(x.response().header("x-sluice-reason")).isEqualTo("cors_forbidden");
        assertThat(x.response().header("access-control-allow-origin")).isNull();
      }
    }
  }

  @Test
  void addsTheHeadersToResponsesForAllowedOriginsOnly() {
    TestResponse ok = TestResponse.builder(200).header("Vary", "Accept-Encoding").body("text/plain", "ok").build();
    try (FilterHarness h = harness(CONFIG)) {
      TestExchange allowed = h.run(request("GET", "/orders", "Origin", "https://app.example.com"));
      assertThat(allowed.upstreamRequest().header("origin")).isEqualTo("https://app.example.com");
      ClientResponse r = allowed.upstreamResponds(ok);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("ok");
      assertThat(r.header("access-control-allow-origin")).isEqualTo("https://app.example.com");
      assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
      assertThat(r.header("access-control-expose-headers")).isEqualTo("X-Request-Id, X-Total");
      assertThat(r.headerValues("vary")).containsExactly("Accept-Encoding", "Origin");

      TestExchange other = h.run(request("GET", "/orders", "Origin", "https://evil.example"));
      assertThat(other.upstreamRequest().header("origin")).isEqualTo("https://evil.example");
      ClientResponse o = other.upstreamResponds(ok);
      assertThat(o.status()).isEqualTo(200);
      assertThat(o.header("access-control-allow-origin")).isNull();

      ClientResponse none = h.run(TestRequest.get("/orders")).upstreamResponds(ok);
      assertThat(none.header("access-control-allow-origin")).isNull();
      assertThat(none.headerValues("vary")).containsExactly("Accept-Encoding");
      // OPTIONS without Access-Control-Request-Method is an ordinary request
      TestExchange options = h.run(request("OPTIONS", "/orders", "Origin", "https://app.example.com"));
      assertThat(options.answered()).isFalse();
      assertThat(options.upstreamRequest().method()).isEqualTo("OPTIONS");
    }
  }

  @Test
  void anyOriginWithoutCredentialsAnswersStarAndEchoesAskedHeaders() {
    try (FilterHarness h = harness("{allowOrigins: [\"*\"], allowHeaders: [\"*\"]}")) {
      ClientResponse pre = h.run(request("OPTIONS", "/", "Origin", "https://x.test",
          "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-a, x-b")).response();
      assertThat(pre.status()).isEqualTo(204);
      assertThat(pre.header("access-control-allow-origin")).isEqualTo("*");
      assertThat(pre.header("access-control-allow-headers")).isEqualTo("x-a, x-b");
      assertThat(pre.header("access-control-max-age")).isEqualTo("5");
      assertThat(pre.header("vary")).isNull();
      ClientResponse r = h.run(request("GET", "/", "Origin", "https://x.test")).upstreamResponds(TestResponse.of(200));
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
