package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WasmSharedDataTest {
  @Test
  void sharedDataCountsRequestsAcrossEventLoopsAndATimerTicks() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("counter", ""))) {
      // each request on a new connection: the connections spread over both event loops, each with its own VM
      List<String> hits = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        RawConnection.Response r = Plugins.get(gw, "/n/" + i);
        assertThat(r.status()).isEqualTo(200);
        hits.add(r.header("x-hits"));
      }
      assertThat(hits).containsExactly("1", "2", "3", "4", "5", "6");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Long.parseLong(Plugins.get(gw, "/t").header("x-ticks"))).isGreaterThanOrEqualTo(3));
    }
  }
}
