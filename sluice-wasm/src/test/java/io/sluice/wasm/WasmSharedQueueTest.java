package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WasmSharedQueueTest {
  @Test
  void itemsEnqueuedByRequestsOnDifferentConnectionsReachTheRegistrantsOnQueueReady() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("queue", "cpuBudget: 5s"))) {
      // nothing dequeued yet
      assertThat(Plugins.get(gw, "/r").header("x-dequeued")).isEmpty();
      // each request on a new connection: they spread over the event loops, each with its own VM;
      // the VM that registered the queue last and is bound to a loop gets on_queue_ready there
      assertThat(Plugins.get(gw, "/e", "X-Enqueue: one").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Plugins.get(gw, "/r").header("x-dequeued")).isEqualTo("one"));
      assertThat(Plugins.get(gw, "/e", "X-Enqueue: two").status()).isEqualTo(200);
      assertThat(Plugins.get(gw, "/e", "X-Enqueue: three").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Plugins.get(gw, "/r").header("x-dequeued")).isEqualTo("one,two,three"));
    }
  }
}
