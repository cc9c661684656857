package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import org.junit.jupiter.api.Test;

class WasmPauseTest {
  @Test
  void aPausedRequestGoesOnWhenATimerTickContinuesIt() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("pause", ""))) {
      RawConnection.Response r = Plugins.get(gw, "/later");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/later");
      assertThat(Plugins.values(got, "x-resumed-by")).containsExactly("tick");
    }
  }

  @Test
  void aPausedRequestIsAnsweredByALocalResponseFromATimerTick() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("pause", ""))) {
      RawConnection.Response r = Plugins.get(gw, "/denied", "X-Deny: 1");
      assertThat(r.status()).isEqualTo(429);
      assertThat(r.body()).isEqualTo("denied on tick");
      Plugins.assertNotReceived(up, "/denied");
    }
  }
}
