package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WasmHotSwapTest {
  /** A fresh module's first calls run before the JIT compiled it; on a loaded machine they can pass the default 50 ms. */
  private static final String BUDGET = "cpuBudget: 5s";

  private static String metrics(GatewayFixture gw) throws Exception {
    StringBuilder text = new StringBuilder();
    gw.gateway().metrics().writePrometheus(text);
    return text.toString();
  }

  @Test
  void aChangedModuleServesNewRequestsWhileAHeldRequestFinishesOnTheOldOne() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("hold", BUDGET))) {
      CompletableFuture<HttpResponse<String>> held = gw.client().sendAsync(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/held")).header("X-Hold", "1").build(),
          HttpResponse.BodyHandlers.ofString());
      // the old module has the request: it counted it and paused it
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics(gw)).contains("\nsluice_filter_wasm_held_total 1\n"));

      // a new module (another sha256) in the same place: loaded off the loops while the request waits
      gw.reload(Plugins.config(0, up.address(), Plugins.filter("hold2", BUDGET)));
      RawConnection.Response fresh = Plugins.get(gw, "/fresh", "X-Release: 1");
      assertThat(fresh.status()).isEqualTo(200);
      assertThat(fresh.header("x-module")).isEqualTo("v2");

      // released through the filter's shared data, the held request finishes on the old module's VM
      HttpResponse<String> r = held.get(10, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      assertThat(r.headers().firstValue("x-module")).hasValue("v1");
      TestUpstream.Received first = up.take();
      TestUpstream.Received second = up.take();
      TestUpstream.Received heldAtUpstream = first.target().equals("/held") ? first : second;
      assertThat(heldAtUpstream.target()).isEqualTo("/held");
      assertThat(Plugins.values(heldAtUpstream, "x-held-by")).containsExactly("v1");
    }
  }
}
