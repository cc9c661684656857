package io.sluice.filters.header;

import static io.sluice.filters.testing.Gateways.get;
import static io.sluice.filters.testing.Gateways.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderFilterTest {
  @Test
  void setsAddsAndRemovesRequestAndResponseHeaders() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200,
            java.util.LinkedHashMap.newLinkedHashMap(0), "ok"));
        GatewayFixture gw = Gateways.withRoute(up.address(), """
            filters:
              - kind: header
                config:
                  request:
                    set: {X-Team: shop, X-Replace: new}
                    add: {X-Via: sluice}
                    remove: [X-Debug]
                  response:
                    set: {Cache-Control: no-store}
                    add: {X-Served-By: sluice}
                    remove: [x-powered-by]
            """)) {
      RawConnection.Response r = get(gw, "/a", "X-Replace: old", "X-Replace: older", "X-Debug: 1", "X-Via: client");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      assertThat(r.header("cache-control")).isEqualTo("no-store");
      assertThat(r.header("x-served-by")).isEqualTo("sluice");
      TestUpstream.Received got = up.take();
      assertThat(values(got, "x-team")).containsExactly("shop");
      assertThat(values(got, "x-replace")).containsExactly("new");
      assertThat(got.header("x-debug")).isNull();
      assertThat(values(got, "x-via")).containsExactly("client", "sluice");
    }
  }

  @Test
  void removesAndReplacesUpstreamResponseHeaders() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200,
            Map.of("X-Powered-By", "php", "Cache-Control", "public", "Content-Type", "text/plain"), "ok"));
        GatewayFixture gw = Gateways.withRoute(up.address(), """
            filters:
              - {kind: header, config: {response: {set: {Cache-Control: no-store}, remove: [x-powered-by]}}}
            """)) {
      RawConnection.Response r = get(gw, "/a");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-powered-by")).isNull();
      assertThat(values(r, "cache-control")).containsExactly("no-store");
      assertThat(r.header("content-type")).isEqualTo("text/plain");
      assertThat(r.header("content-length")).isEqualTo("2");
      assertThat(r.body()).isEqualTo("ok");
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
