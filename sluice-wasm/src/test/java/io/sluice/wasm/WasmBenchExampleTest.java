package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * examples/bench-wasm (bench/proxy-bench.sh --wasm), examples/bench-wasm-raw (--wasm-raw: the same
 * edits by a plugin without an SDK) and examples/bench-wasm-rust (--wasm-rust: by one built with the
 * Rust SDK) run their committed modules (the sha256 in each is the file's) and make the header edits
 * examples/bench-java-header makes with the header filter.
 */
class WasmBenchExampleTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** The example's config with the listener on port 0 (the OS picks), the backend at {@code address} and the module's path absolute. */
  private static String example(String name, String address) throws Exception {
    return Files.readString(ROOT.resolve("examples/" + name + "/gateway.yaml"))
        .replace("127.0.0.1:18090", "127.0.0.1:0")
        .replace("127.0.0.1:18080", address)
        .replace("file: sluice-wasm/", "file: " + ROOT + "/sluice-wasm/");
  }

  @Test
  void theWasmBenchConfigSetsTheHeadersTheJavaHeaderBenchConfigSets() throws Exception {
    for (String name : new String[] {"bench-wasm", "bench-wasm-raw"}) {
      try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = GatewayFixture.start(example(name, up.address()))) {
        RawConnection.Response r;
        try (RawConnection c = RawConnection.open(gw.port("bench"))) {
          r = c.send("GET / HTTP/1.1\r\nHost: bench.local\r\n\r\n").readResponse();
        }
        assertThat(r.status()).as(name).isEqualTo(200);
        assertThat(r.header("X-Served-By")).as(name).isEqualTo("sluice");
        assertThat(Plugins.values(up.take(), "X-Bench")).as(name).containsExactly("sluice");
      }
    }
  }

  /**
   * examples/bench-wasm-rust (bench/proxy-bench.sh --wasm-rust): the Rust SDK's setheader replaces
   * both headers, as setheader does, leaving the rest of the exchange alone.
   */
  @Test
  void theRustSdkBenchPluginReplacesTheBenchHeaders() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200,
            Map.of("X-Served-By", "upstream", "X-Upstream", "yes", "Content-Type", "text/plain"), "from upstream"));
        GatewayFixture gw = GatewayFixture.start(example("bench-wasm-rust", up.address()))) {
      RawConnection.Response r;
      try (RawConnection c = RawConnection.open(gw.port("bench"))) {
        r = c.send("GET /a?q=1 HTTP/1.1\r\nHost: bench.local\r\nX-Bench: client\r\nX-Other: kept\r\n\r\n").readResponse();
      }
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase("X-Served-By")).map(Map.Entry::getValue))
          .containsExactly("sluice");
      assertThat(r.header("X-Upstream")).isEqualTo("yes");
      assertThat(r.body()).isEqualTo("from upstream");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/a?q=1");
      assertThat(Plugins.values(got, "X-Bench")).containsExactly("sluice");
      assertThat(Plugins.values(got, "X-Other")).containsExactly("kept");
    }
  }
}
