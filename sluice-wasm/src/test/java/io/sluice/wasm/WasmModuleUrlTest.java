package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WasmModuleUrlTest {
  @TempDir Path cache;
  private final AtomicInteger fetches = new AtomicInteger();

  @AfterEach
  void noCache() {
    System.clearProperty("sluice.wasm.cacheDir");
  }

  /** A local HTTP server on port 0 serving {@code bytes} at /m.wasm. */
  private HttpServer serve(byte[] bytes) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/m.wasm", ex -> {
      fetches.incrementAndGet();
      ex.sendResponseHeaders(200, bytes.length);
      try (var out = ex.getResponseBody()) {
        out.write(bytes);
      }
    });
    server.start();
    return server;
  }

  private static String urlFilter(HttpServer server, String sha256) {
    return "{kind: wasm, config: {url: \"http://127.0.0.1:" + server.getAddress().getPort() + "/m.wasm\", sha256: " + sha256
        + ", rootId: headers, configuration: from-url}}";
  }

  @Test
  void aModuleFromAUrlRunsAndIsCachedSoAStartWithoutTheServerStillRuns() throws Exception {
    System.setProperty("sluice.wasm.cacheDir", cache.toString());
    Path module = Plugins.path("headers");
    String sha256 = Plugins.sha256(module);
    HttpServer server = serve(Files.readAllBytes(module));
    String filter = urlFilter(server, sha256);
    try (TestUpstream up = Plugins.upstream()) {
      try (GatewayFixture gw = Plugins.gateway(up.address(), filter)) {
        RawConnection.Response r = Plugins.get(gw, "/a");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-wasm-response")).isEqualTo("yes");
        assertThat(Plugins.values(up.take(), "x-wasm-request")).containsExactly("from-url");
      } finally {
        server.stop(0);
      }
      // fetched once (validation), then read from the cache (apply)
      assertThat(fetches.get()).isEqualTo(1);
      assertThat(Files.readAllBytes(cache.resolve(sha256 + ".wasm"))).isEqualTo(Files.readAllBytes(module));
      // the server is gone: a new gateway (a restart) starts from the cache
      try (GatewayFixture gw = Plugins.gateway(up.address(), filter)) {
        RawConnection.Response r = Plugins.get(gw, "/b");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-wasm-response")).isEqualTo("yes");
      }
      assertThat(fetches.get()).isEqualTo(1);
    }
  }

  @Test
  void aUrlWhoseContentHasAnotherSha256IsRefusedNamingTheField() throws Exception {
    System.setProperty("sluice.wasm.cacheDir", cache.toString());
    String expected = Plugins.sha256(Plugins.path("headers"));
    String actual = Plugins.sha256(Plugins.path("auth"));
    HttpServer server = serve(Files.readAllBytes(Plugins.path("auth")));
    try (TestUpstream up = Plugins.upstream()) {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/m.wasm";
      assertThatThrownBy(() -> Plugins.gateway(up.address(), urlFilter(server, expected)))
          .hasMessageContaining("Route/r: spec.filters[0].config.sha256: " + url + " has SHA-256 " + actual + "; expected " + expected);
      // nothing of it is cached
      try (var files = Files.list(cache)) {
        assertThat(files.toList()).isEmpty();
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void fileAndUrlTogetherAreRefused() throws Exception {
    try (TestUpstream up = Plugins.upstream()) {
      Path module = Plugins.path("headers");
      assertThatThrownBy(() -> Plugins.gateway(up.address(), "{kind: wasm, config: {file: \"" + module + "\", url: \"http://127.0.0.1:1/m.wasm\", sha256: "
              + Plugins.sha256(module) + "}}"))
          .hasMessageContaining("Route/r: spec.filters[0].config.url: set with file; expected one of file, url and secret");
    }
  }
}
