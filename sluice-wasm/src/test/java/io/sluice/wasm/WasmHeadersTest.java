package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WasmHeadersTest {
  @Test
  void aPluginAddsAndRemovesHeadersBothWays() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("headers", "configuration: from-config"))) {
      RawConnection.Response r = Plugins.get(gw, "/a", "X-Remove-Me: 1", "X-Keep: 2");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      assertThat(r.hasHeader("X-Upstream")).isFalse();
      assertThat(r.header("x-wasm-response")).isEqualTo("yes");
      TestUpstream.Received got = up.take();
      assertThat(Plugins.values(got, "x-wasm-request")).containsExactly("from-config");
      assertThat(Plugins.values(got, "x-remove-me")).isEmpty();
      assertThat(Plugins.values(got, "x-keep")).containsExactly("2");
    }
  }

  @Test
  void aPluginAnswersLocallyAndTheUpstreamGetsNothing() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("auth", "configuration: let-me-in"))) {
      RawConnection.Response denied = Plugins.get(gw, "/a", "X-Token: wrong");
      assertThat(denied.status()).isEqualTo(403);
      assertThat(denied.headers()).containsExactly(
          Map.entry("x-denied-by", "wasm"), Map.entry("content-type", "text/plain"), Map.entry("Content-Length", "14"));
      assertThat(denied.body()).isEqualTo("denied by wasm");
      Plugins.assertNotReceived(up, "/a");

      RawConnection.Response allowed = Plugins.get(gw, "/a", "X-Token: let-me-in");
      assertThat(allowed.status()).isEqualTo(200);
      assertThat(allowed.body()).isEqualTo("from upstream");
      assertThat(up.take().target()).isEqualTo("/a");
    }
  }
}
