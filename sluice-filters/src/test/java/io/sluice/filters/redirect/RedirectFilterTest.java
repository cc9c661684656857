package io.sluice.filters.redirect;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedirectFilterTest {
  @Test
  void redirectsHttpToHttpsKeepingHostPathAndQueryAndDroppingThePort() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: redirect, config: {status: 301, scheme: https}}]")) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: Shop.Example:8080\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 301 Moved Permanently");
        assertThat(r.headers()).containsExactly(
            Map.entry("Location", "https://shop.example/a/b?x=1&y=2"), Map.entry("Content-Length", "0"));
        assertThat(r.body()).isEmpty();
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void replacesHostPortAndPathWith308() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), """
            filters: [{kind: redirect, config: {status: 308, host: new.example, port: 8443, path: /v2/orders}}]
            """)) {
      RawConnection.Response r = get(gw, "/orders?id=7");
      assertThat(r.status()).isEqualTo(308);
      assertThat(r.header("location")).isEqualTo("http://new.example:8443/v2/orders?id=7");
      RawConnection.Response noQuery = get(gw, "/orders");
      assertThat(noQuery.header("location")).isEqualTo("http://new.example:8443/v2/orders");
    }
  }

  @Test
  void aPathOnlyRedirectKeepsTheAuthorityWithItsPort() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: redirect, config: {path: /login}}]")) {
      RawConnection.Response r = get(gw, "/account");
      assertThat(r.status()).isEqualTo(302);
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 302 Found");
      assertThat(r.header("location")).isEqualTo("http://test.local/login");
    }
  }

  @Test
  void badSettingsAreRefused() throws Exception {
    List<String> errors = Configs.routeErrors("""
        - {kind: redirect, config: {status: 200, scheme: ftp}}
        - {kind: redirect, config: {}}
        - {kind: redirect, config: {port: 70000, path: "no-slash"}}
        """);
    assertThat(errors).containsExactly(
        "Route/r: spec.filters[0].config.status: expected 301, 302, 303, 307 or 308, got 200",
        "Route/r: spec.filters[0].config.scheme: expected http or https, got 'ftp'",
        "Route/r: spec.filters[1].config: nothing changes; expected scheme, host, port or path (a redirect to the same URL would loop)",
        "Route/r: spec.filters[2].config.port: expected 1 to 65535, got 70000",
        "Route/r: spec.filters[2].config.path: expected a path starting with '/', got 'no-slash'");
  }
}
