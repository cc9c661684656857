package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

  /**
   * The Rust SDK's plugin (src/test/wasm/rust, proxy-wasm 0.2.0): its dispatcher imports every ABI
   * function (gRPC, foreign functions, set_property, close_stream) and reads its configuration,
   * pseudo-headers and properties its own way, and asks for whole buffers with the size
   * usize::MAX; one gateway for its headers, properties, local reply and body rewrite.
   */
  @Test
  void aRustSdkPluginEditsHeadersBothWaysKeepsAPropertyAnswersLocallyAndRewritesTheBody() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("rust", "configuration: from-rust, requestBody: 1KiB"))) {
      RawConnection.Response r = Plugins.get(gw, "/a?q=1", "X-Remove-Me: 1", "X-Keep: 2");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      assertThat(r.hasHeader("X-Upstream")).isFalse();
      assertThat(r.header("x-rust-response")).isEqualTo("from-rust");
      assertThat(r.header("x-rust-property")).isEqualTo("/a?q=1");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/a?q=1");
      assertThat(Plugins.values(got, "x-rust-request")).containsExactly("from-rust /a?q=1 r");
      assertThat(Plugins.values(got, "x-remove-me")).isEmpty();
      assertThat(Plugins.values(got, "x-keep")).containsExactly("2");

      RawConnection.Response denied = Plugins.get(gw, "/b", "X-Deny: 1");
      assertThat(denied.status()).isEqualTo(403);
      assertThat(denied.headers()).containsExactly(
          Map.entry("x-denied-by", "rust"), Map.entry("content-type", "text/plain"), Map.entry("Content-Length", "14"));
      assertThat(denied.body()).isEqualTo("denied by rust");
      Plugins.assertNotReceived(up, "/b");

      HttpResponse<String> posted = gw.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/c"))
          .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(posted.statusCode()).isEqualTo(200);
      TestUpstream.Received body = up.take();
      assertThat(body.target()).isEqualTo("/c");
      assertThat(body.bodyText()).isEqualTo("rust read 5 bytes: hello");
      assertThat(body.header("Content-Length")).isEqualTo("24");

      // proxy_set_property: up to 64 per request (sluice_rust.path and 63 more), none of Sluice's own;
      // a refusal (BadArgument) panics the Rust SDK, which fails the request closed
      assertThat(Plugins.get(gw, "/d", "X-Set-Properties: 63").status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/d");
      RawConnection.Response tooMany = Plugins.get(gw, "/e", "X-Set-Properties: 64");
      assertThat(tooMany.status()).isEqualTo(500);
      assertThat(tooMany.header("X-Sluice-Reason")).isEqualTo("wasm_failure");
      Plugins.assertNotReceived(up, "/e");
      RawConnection.Response readOnly = Plugins.get(gw, "/f", "X-Set-Property: request.path");
      assertThat(readOnly.status()).isEqualTo(500);
      assertThat(readOnly.header("X-Sluice-Reason")).isEqualTo("wasm_failure");
      Plugins.assertNotReceived(up, "/f");
    }
  }
}
