package io.sluice.filters.staticresponse;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StaticResponseFilterTest {
  @Test
  void answersWithTheConfiguredResponseAndTheUpstreamGetsNothing() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), """
            filters:
              - kind: static-response
                config:
                  status: 503
                  headers: {Retry-After: "120", X-Mode: maintenance}
                  contentType: application/json
                  body: '{"message":"down for maintenance"}'
            """)) {
      RawConnection.Response r = get(gw, "/anything");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
      assertThat(r.headers()).containsExactly(
          Map.entry("Retry-After", "120"), Map.entry("X-Mode", "maintenance"),
          Map.entry("Content-Type", "application/json"), Map.entry("Content-Length", "34"));
      assertThat(r.body()).isEqualTo("{\"message\":\"down for maintenance\"}");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aBodyGetsTextPlainByDefaultAndA204NoContentLength() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.start(up.address(),
            Gateways.route("text", "match: {path: {prefix: /text}}\nfilters: [{kind: static-response, config: {body: hi}}]")
            + Gateways.route("empty", "match: {path: {prefix: /empty}}\nfilters: [{kind: static-response, config: {status: 204}}]"))) {
      RawConnection.Response text = get(gw, "/text");
      assertThat(text.status()).isEqualTo(200);
      assertThat(text.header("content-type")).isEqualTo("text/plain; charset=utf-8");
      assertThat(text.body()).isEqualTo("hi");
      RawConnection.Response empty = get(gw, "/empty");
      assertThat(empty.status()).isEqualTo(204);
      assertThat(empty.headers()).isEmpty();
    }
  }

  @Test
  void badResponsesAreRefused() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: static-response, config: {status: 99}}
        - {kind: static-response, config: {status: 204, body: x}}
        - {kind: static-response, config: {headers: {Transfer-Encoding: chunked}}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.status: expected 200 to 599, got 99",
        "Route/r: spec.filters[1].config.body: a 204 response has no body",
        "Route/r: spec.filters[2].config.headers.Transfer-Encoding: header Transfer-Encoding frames the message and "
            + "is written by the gateway; filters cannot set or remove it");
  }
}
