package io.sluice.proxy.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.proxy.testing.TestCerts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** YAML for TLS configs, and the openssl and curl command lines the tests drive. */
final class TlsFixture {
  private TlsFixture() {}

  /** A Secret with {@code issued}'s certificate and key inline. */
  static String secret(String name, TestCerts.Issued issued) {
    return """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: %s}
        spec:
          tls:
            certificate: |
        %s
            privateKey: |
        %s
        ---
        """.formatted(name, indent(issued.certPem()), indent(issued.keyPem()));
  }

  private static String indent(String pem) {
    return pem.strip().lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  /** An upstream {@code backend} at {@code address}, a route to it, and listener {@code main} on {@code port} with {@code tls} (YAML flow). */
  static String listener(int port, String tls, String upstream) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          tls: %s
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints:
            - address: %s
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(port, tls, upstream);
  }

  record Run(int exit, String output) {}

  /** Runs {@code command} with stdin closed, stdout and stderr together; skips the test when the tool is not installed. */
  static Run run(String... command) throws IOException, InterruptedException {
    return runWithInput(Path.of("/dev/null"), command);
  }

  /** Runs {@code command} with {@code input} as its stdin, stdout and stderr together; skips the test when the tool is not installed. */
  static Run runWithInput(Path input, String... command) throws IOException, InterruptedException {
    assumeTrue(onPath(command[0]), command[0] + " is not installed; the TLS interop tests need openssl and curl (apt-get install openssl curl)");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(input.toFile()));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 30s");
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** {@code openssl s_client} against 127.0.0.1:{@code port} with {@code options}. */
  static Run sClient(int port, String... options) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
    cmd.addAll(List.of(options));
    return run(cmd.toArray(String[]::new));
  }

  /** The leaf's subject as {@code s_client} prints it, spaces around '=' removed ({@code CN=a}). */
  static String subject(Run r) {
    for (String line : r.output().lines().toList()) {
      if (line.startsWith("subject=")) return line.substring("subject=".length()).replace(" = ", "=").strip();
    }
    throw new AssertionError("no subject in s_client output:\n" + r.output());
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) return true;
    }
    return false;
  }
}
