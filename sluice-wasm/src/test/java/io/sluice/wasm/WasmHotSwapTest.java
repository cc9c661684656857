package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A changed module serves new requests while a request it holds finishes on the old one: a module
 * swapped in the filter's config ({@code hold} → {@code hold2}), and one swapped by changing only
 * the Secret it comes from ({@code swap1} → {@code swap2}, one root id {@code swap}). Each version
 * puts its name in {@code X-Module} and {@code X-Held-By}.
 */
class WasmHotSwapTest {
  /** A fresh module's first calls run before the JIT compiled it; on a loaded machine they can pass the default 50 ms. */
  private static final String BUDGET = "cpuBudget: 5s";

  private static String metrics(GatewayFixture gw) throws Exception {
    StringBuilder text = new StringBuilder();
    gw.gateway().metrics().writePrometheus(text);
    return text.toString();
  }

  /** The gateway's config with the route's wasm module read from key {@code module.wasm} of Secret {@code plugins}. */
  private static String secretConfig(TestUpstream up, String module) throws Exception {
    String bytes = Base64.getEncoder().encodeToString(Files.readAllBytes(Plugins.path(module)));
    return Plugins.config(0, up.address(), "{kind: wasm, config: {secret: {name: plugins, key: module.wasm}, rootId: swap, cpuBudget: 5s}}")
        + """
        ---
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: plugins}
        spec:
          data: {module.wasm: "%s"}
        """.formatted(bytes);
  }

  @Test
  void aChangedModuleServesNewRequestsWhileAHeldRequestFinishesOnTheOldOne() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("hold", BUDGET))) {
      // a new module (another sha256) in the same place
      newRequestsGetV2WhileTheHeldOneFinishesOnV1(gw, up, Plugins.config(0, up.address(), Plugins.filter("hold2", BUDGET)));
    }
  }

  @Test
  void otherBytesInTheSecretServeNewRequestsWhileAHeldRequestFinishesOnTheOldModule() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = GatewayFixture.start(secretConfig(up, "swap1"))) {
      // only the Secret changes: the route's filter config stays the same
      newRequestsGetV2WhileTheHeldOneFinishesOnV1(gw, up, secretConfig(up, "swap2"));
    }
  }

  private static void newRequestsGetV2WhileTheHeldOneFinishesOnV1(GatewayFixture gw, TestUpstream up, String v2Config)
      throws Exception {
    CompletableFuture<HttpResponse<String>> held = gw.client().sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/held")).header("X-Hold", "1").build(),
        HttpResponse.BodyHandlers.ofString());
    // the old module has the request: it counted it and paused it
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics(gw)).contains("\nsluice_filter_wasm_held_total 1\n"));

    // the new module is loaded off the loops while the request waits
    gw.reload(v2Config);
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
