package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WasmBodyTest {
  @Test
  void aPluginRewritesTheBufferedResponseBody() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("body", "responseBody: 64KiB"))) {
      RawConnection.Response r = Plugins.get(gw, "/a");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from wasm");
      assertThat(r.header("Content-Length")).isEqualTo("9");
    }
  }

  @Test
  void withoutResponseBodyThePluginSeesNoBodyAndItPassesUntouched() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("body", ""))) {
      RawConnection.Response r = Plugins.get(gw, "/a");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
    }
  }
}
