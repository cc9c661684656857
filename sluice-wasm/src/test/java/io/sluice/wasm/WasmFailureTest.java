package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WasmFailureTest {
  private static final String FAILURE_BODY =
      "{\"status\":500,\"reason\":\"wasm_failure\",\"message\":\"the wasm plugin failed on this request\"}\n";

  private static void assertFailedClosed(RawConnection.Response r) {
    assertThat(r.status()).isEqualTo(500);
    assertThat(r.headers()).containsExactly(
        Map.entry("Content-Type", "application/json"),
        Map.entry("X-Sluice-Reason", "wasm_failure"),
        Map.entry("Content-Length", Integer.toString(FAILURE_BODY.length())));
    assertThat(r.body()).isEqualTo(FAILURE_BODY);
  }

  /** The next well-behaved request goes through: the loop lives and the plugin got a new VM. */
  private static void assertRecovers(GatewayFixture gw, TestUpstream up) {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      up.received().clear();
      RawConnection.Response ok = Plugins.get(gw, "/ok");
      assertThat(ok.status()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("from upstream");
      assertThat(Plugins.values(up.take(), "x-behaved")).containsExactly("yes");
    });
  }

  @Test
  void aTrappingPluginFailsThatRequestClosedAndTheNextOneWorks() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("misbehave", ""))) {
      assertFailedClosed(Plugins.get(gw, "/crash", "X-Misbehave: trap"));
      Plugins.assertNotReceived(up, "/crash");
      assertRecovers(gw, up);
    }
  }

  @Test
  void aLoopingPluginIsStoppedAtItsCpuBudgetAndTheEventLoopLives() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("misbehave", "cpuBudget: 200ms"))) {
      long start = System.nanoTime();
      assertFailedClosed(Plugins.get(gw, "/spin", "X-Misbehave: loop"));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      Plugins.assertNotReceived(up, "/spin");
      assertRecovers(gw, up);
      // Both event loops serve requests after the stopped call: no interrupt flag was left behind.
      for (int i = 0; i < 6; i++) assertThat(Plugins.get(gw, "/ok").status()).isEqualTo(200);
    }
  }

  @Test
  void aPluginOutOfMemoryFailsThatRequest() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("misbehave", "maxMemory: 2MiB, cpuBudget: 5s"))) {
      assertFailedClosed(Plugins.get(gw, "/hoard", "X-Misbehave: oom"));
      Plugins.assertNotReceived(up, "/hoard");
      assertRecovers(gw, up);
    }
  }

  @Test
  void failOpenLetsTheRequestGoOnWithoutThePlugin() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("misbehave", "failurePolicy: open"))) {
      RawConnection.Response r = Plugins.get(gw, "/crash", "X-Misbehave: trap");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/crash");
      assertThat(Plugins.values(got, "x-behaved")).isEmpty();
    }
  }
}
