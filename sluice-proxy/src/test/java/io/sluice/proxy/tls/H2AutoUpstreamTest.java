package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.upstream.h2.H2TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@code protocol: auto}: ALPN offers h2 and http/1.1, and the endpoint's choice decides. */
class H2AutoUpstreamTest {
  static final TestCerts CA = TestCerts.ca("auto-ca");

  private static String config(int port, String address) {
    return UpstreamTlsTest.config(port, address, "{caSecret: upstream-ca}\n  protocol: auto",
        UpstreamTlsTest.caSecret("upstream-ca", CA));
  }

  @Test
  void speaksH2ToAnEndpointThatChoosesH2ByAlpn() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(r -> H2TestUpstream.Response.of(200, "h2 " + r.header(":path")),
            new H2TestUpstream.Options(null, true, false, CA.leaf("h2", "127.0.0.1")));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address()))) {
      HttpResponse<String> r = gw.get(gw.port(), "/a");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("h2 /a");
      assertThat(up.take().header(":scheme")).isEqualTo("https");
    }
  }

  @Test
  void fallsBackToHttp1ForAnEndpointThatDoesNotChooseH2() throws Exception {
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("h1", "127.0.0.1"), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address()))) {
      for (String path : new String[] {"/first", "/second"}) {
        HttpResponse<String> r = gw.get(gw.port(), path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("secure " + path);
      }
      assertThat(up.seen()).extracting(HttpsUpstream.Seen::path).containsExactly("/first", "/second");
    }
  }
}
