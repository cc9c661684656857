package io.sluice.bench;

import io.sluice.filter.Filter;
import io.sluice.filter.testing.ClientResponse;
import io.sluice.filter.testing.FilterHarness;
import io.sluice.filter.testing.TestExchange;
import io.sluice.filter.testing.TestRequest;
import io.sluice.filter.testing.TestResponse;
import io.sluice.filters.header.HeaderFilterFactory;
import io.sluice.wasm.WasmFilterFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request cost of a header-setting proxy-wasm plugin against the built-in {@code header}
 * filter doing the same edits (X-Bench: sluice on the request, X-Served-By: sluice on the
 * response), on the filter path in memory: one request through the request phase and one response
 * through the response phase in {@link FilterHarness}, as examples/bench-wasm and
 * examples/bench-java-header configure them. {@code none} is a filter that does nothing, so the
 * harness's own cost (a hop to its stand-in event loop and back, the in-memory exchange) can be
 * subtracted: a filter's cost is its time minus {@code none}'s. {@code wasm-raw} is the same edits
 * by a plugin written against the proxy-wasm ABI without an SDK ({@code setheader-raw}): what Sluice's
 * wasm host costs when the plugin does next to nothing. {@code openRequests} keeps that many other
 * requests open (in their request phase) while measuring, as concurrent connections keep contexts
 * alive in a loop's VM: the AssemblyScript SDK's {@code proxy_on_context_create} joins the ids of
 * every live context into debug strings, so its cost grows with them (docs/benchmarks.md, "Session 11").
 *
 * <p>Run from the repository root (the plugin is {@code sluice-wasm/src/test/wasm/setheader}):
 * {@code java -jar sluice-bench/target/benchmarks.jar WasmFilterBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WasmFilterBenchmark {
  static final Path PLUGIN = Path.of("sluice-wasm/src/test/wasm/setheader/setheader.wasm");
  static final Path RAW_PLUGIN = Path.of("sluice-wasm/src/test/wasm/setheader-raw/setheader-raw.wasm");

  @Param({"none", "java-header", "wasm", "wasm-raw"})
  String filter;

  @Param({"0"})
  int openRequests;

  private FilterHarness harness;
  private TestRequest request;
  private TestResponse response;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    harness = switch (filter) {
      case "none" -> FilterHarness.of(new Filter() {});
      case "java-header" -> FilterHarness.builder(new HeaderFilterFactory())
          .config("{request: {set: {X-Bench: sluice}}, response: {set: {X-Served-By: sluice}}}").build();
      case "wasm" -> wasm(PLUGIN);
      case "wasm-raw" -> wasm(RAW_PLUGIN);
      default -> throw new IllegalArgumentException("filter " + filter);
    };
    request = TestRequest.builder("GET", "/").authority("bench.local").header("Accept", "*/*").build();
    response = TestResponse.builder(200).body("text/plain", "ok").build();
    for (int i = 0; i < openRequests; i++) harness.run(request);
    ClientResponse r = run();
    if (!filter.equals("none") && !"sluice".equals(r.header("X-Served-By"))) {
      throw new IllegalStateException(filter + " did not set X-Served-By: " + r.headers());
    }
  }

  private static FilterHarness wasm(Path plugin) throws Exception {
    return FilterHarness.builder(new WasmFilterFactory())
        .config("{file: \"" + plugin.toAbsolutePath() + "\", sha256: " + sha256(plugin) + ", rootId: setheader}").build();
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  private ClientResponse run() {
    TestExchange x = harness.run(request);
    return x.upstreamResponds(response);
  }

  @Benchmark
  public ClientResponse requestAndResponse() {
    return run();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    harness.close();
  }
}
