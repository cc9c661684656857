package io.sluice.wasm;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** The committed test plugins (src/test/wasm, rebuilt by bin/build-wasm-fixtures) and gateways that run them. */
final class Plugins {
  private Plugins() {}

  /** The path of the test plugin {@code name}. */
  static Path path(String name) {
    return Path.of("src", "test", "wasm", name, name + ".wasm").toAbsolutePath();
  }

  static String sha256(Path file) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A {@code wasm} filter entry (YAML flow mapping) for the plugin {@code name} with {@code extra}
   * config fields. A test that does not set {@code cpuBudget} gets 5s: a cold VM on a loaded
   * machine must not be stopped where the test is not about the budget.
   */
  static String filter(String name, String extra) {
    Path p = path(name);
    String fields = extra.contains("cpuBudget") ? extra : extra.isEmpty() ? "cpuBudget: 5s" : extra + ", cpuBudget: 5s";
    return "{kind: wasm, config: {file: \"" + p + "\", sha256: " + sha256(p) + ", rootId: " + name + ", " + fields + "}}";
  }

  /** A gateway with a listener, an upstream {@code backend} at {@code address} and a catch-all route running {@code filters}. */
  static GatewayFixture gateway(String address, String... filters) throws Exception {
    return GatewayFixture.start(config(0, address, filters));
  }

  /** The configuration of {@link #gateway}, with the listener on {@code port}: 0 (the OS picks; a reload with 0 keeps the bound port). */
  static String config(int port, String address, String... filters) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 5s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: backend
          filters: [%s]
        """.formatted(port, address, String.join(", ", filters));
  }

  /** An upstream that answers 200 "from upstream" with {@code X-Upstream: yes}. */
  static TestUpstream upstream() throws IOException {
    return TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("X-Upstream", "yes", "Content-Type", "text/plain"), "from upstream"));
  }

  /** Sends {@code GET target} with Host {@code test.local} and {@code headers} on a new connection. */
  static RawConnection.Response get(GatewayFixture gw, String target, String... headers) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: test.local\r\n");
      for (String h : headers) req.append(h).append("\r\n");
      c.send(req.append("\r\n").toString());
      return c.readResponse();
    }
  }

  /**
   * The upstream received no request for {@code target}. Other requests may reach a test upstream's
   * port (another suite's client that had the port before), so only ours count.
   */
  static void assertNotReceived(TestUpstream up, String target) {
    org.assertj.core.api.Assertions.assertThat(up.received()).extracting(TestUpstream.Received::target).doesNotContain(target);
  }

  static List<String> values(TestUpstream.Received r, String name) {
    return r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
  }
}
