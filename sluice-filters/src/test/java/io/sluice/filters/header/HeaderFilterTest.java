package io.sluice.filters.header;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import io.sluice.filter.testing.ClientResponse;
import io.sluice.filter.testing.FilterHarness;
import io.sluice.filter.testing.HeaderField;
import io.sluice.filter.testing.TestExchange;
import io.sluice.filter.testing.TestRequest;
import io.sluice.filter.testing.TestResponse;
import io.sluice.filter.testing.UpstreamRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderFilterTest {
  @Test
  void setsAddsAndRemovesRequestAndResponseHeaders() {
    try (FilterHarness h = FilterHarness.builder(new HeaderFilterFactory()).config("""
        request:
          set: {X-Team: shop, X-Replace: new}
          add: {X-Via: sluice}
          remove: [X-Debug]
        response:
          set: {Cache-Control: no-store}
          add: {X-Served-By: sluice}
          remove: [x-powered-by]
        """).build()) {
      TestExchange x = h.run(TestRequest.builder("GET", "/a").header("X-Replace", "old").header("X-Replace", "older")
          .header("X-Debug", "1").header("X-Via", "client").build());
      UpstreamRequest got = x.upstreamRequest();
      assertThat(got.headerValues("x-team")).containsExactly("shop");
      assertThat(got.headerValues("x-replace")).containsExactly("new");
      assertThat(got.header("x-debug")).isNull();
      assertThat(got.headerValues("x-via")).containsExactly("client", "sluice");
      ClientResponse r = x.upstreamResponds(TestResponse.builder(200).body("ok".getBytes(StandardCharsets.UTF_8)).build());
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("ok");
      assertThat(r.headers()).containsExactly(new HeaderField("Content-Length", "2"),
          new HeaderField("Cache-Control", "no-store"), new HeaderField("X-Served-By", "sluice"));
    }
  }

  @Test
  void removesAndReplacesUpstreamResponseHeaders() {
    try (FilterHarness h = FilterHarness.builder(new HeaderFilterFactory())
        .config("{response: {set: {Cache-Control: no-store}, remove: [x-powered-by]}}").build()) {
      ClientResponse r = h.run(TestRequest.get("/a")).upstreamResponds(TestResponse.builder(200)
          .header("X-Powered-By", "php").header("Cache-Control", "public").body("text/plain", "ok").build());
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-powered-by")).isNull();
      assertThat(r.headerValues("cache-control")).containsExactly("no-store");
      assertThat(r.header("content-type")).isEqualTo("text/plain");
      assertThat(r.header("content-length")).isEqualTo("2");
      assertThat(r.bodyText()).isEqualTo("ok");
    }
  }

  @Test
  void headersTheGatewayWritesAreRefusedAtValidation() throws Exception {
    List<ConfigError> errors = Validator.validate(ObjectCodec.readYaml("r.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          directResponse: {status: 200}
          filters:
            - kind: header
              config:
                request: {set: {Host: x, "bad name": v}, remove: [Transfer-Encoding]}
                response: {add: {X-Ok: "line\\nbreak", Connection: close}}
            - {kind: header, config: {}}
        """));
    assertThat(errors).extracting(ConfigError::toString).containsExactly(
        "r.yaml:9:25: Route/r: spec.filters[0].config.request.set.Host: the Host header is set with Request.setAuthority, not as a header field",
        "r.yaml:9:34: Route/r: spec.filters[0].config.request.set.bad name: invalid header name 'bad name': expected a token such as x-request-id",
        "r.yaml:9:59: Route/r: spec.filters[0].config.request.remove[0]: header Transfer-Encoding frames the message and is written by the gateway; filters cannot set or remove it",
        "r.yaml:10:26: Route/r: spec.filters[0].config.response.add.X-Ok: header X-Ok: invalid character 0xa in value; expected no control characters such as CR or LF",
        "r.yaml:10:47: Route/r: spec.filters[0].config.response.add.Connection: header Connection is hop-by-hop and written by the gateway; filters cannot set or remove it",
        "r.yaml:11:22: Route/r: spec.filters[1].config: no edits; expected request or response with set, add or remove");
  }
}
