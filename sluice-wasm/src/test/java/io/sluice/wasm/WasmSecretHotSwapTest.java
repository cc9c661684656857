package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * A module from a Secret swapped by changing only the Secret: the route's filter config stays the
 * same. The fixtures {@code swap1} and {@code swap2} share the root id {@code swap} and differ in
 * the version they put in {@code X-Module} and {@code X-Held-By}.
 */
class WasmSecretHotSwapTest {
  private static String config(TestUpstream up, String module) {
    String bytes;
    try {
      bytes = Base64.getEncoder().encodeToString(Files.readAllBytes(Plugins.path(module)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  private static String metrics(GatewayFixture gw) throws Exception {
    StringBuilder text = new StringBuilder();
    gw.gateway().metrics().writePrometheus(text);
    return text.toString();
  }

  @Test
  void otherBytesInTheSecretServeNewRequestsWhileAHeldRequestFinishesOnTheOldModule() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = GatewayFixture.start(config(up, "swap1"))) {
      CompletableFuture<HttpResponse<String>> held = gw.client().sendAsync(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/held")).header("X-Hold", "1").build(),
          HttpResponse.BodyHandlers.ofString());
      // the module from the Secret has the request: it counted it and paused it
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics(gw)).contains("\nsluice_filter_wasm_held_total 1\n"));

      // only the Secret changes; its new module is loaded off the loops while the request waits
      gw.reload(config(up, "swap2"));
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
