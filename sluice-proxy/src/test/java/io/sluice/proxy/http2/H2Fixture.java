package io.sluice.proxy.http2;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.proxy.testing.TestCerts;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** YAML for the HTTP/2 tests' listeners, the real clients they drive (curl, nghttp, h2load) and a JDK client over TLS. */
final class H2Fixture {
  static final TestCerts CA = TestCerts.ca("h2-ca");
  static final TestCerts.Issued LEAF = CA.leaf("h2-leaf", "localhost", "127.0.0.1");

  private H2Fixture() {}

  /** Listener {@code main} on {@code port} ({@code extra}: more of its spec, YAML lines indented by two), upstream {@code backend}, a catch-all route. */
  static String plain(int port, String upstream, String extra) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        %s
        ---
        """.formatted(port, indent(extra)) + upstreamAndRoute(upstream);
  }

  /** Like {@link #plain}, with TLS: the certificate {@link #LEAF} for 127.0.0.1 and localhost. */
  static String tls(int port, String upstream, String extra) {
    return """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: web}
        spec:
          tls:
            certificate: |
        %s
            privateKey: |
        %s
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          tls: {certificates: [{secret: web}]}
        %s
        ---
        """.formatted(pem(LEAF.certPem()), pem(LEAF.keyPem()), port, indent(extra)) + upstreamAndRoute(upstream);
  }

  private static String upstreamAndRoute(String upstream) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints:
            - address: %s
          timeouts: {connect: 2s, response: 10s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(upstream);
  }

  private static String indent(String extra) {
    return extra.isBlank() ? "" : extra.strip().lines().map(l -> "  " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  private static String pem(String pem) {
    return pem.strip().lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  /** The CA as a file, for curl's {@code --cacert}. */
  static Path caFile(Path dir) {
    return CA.caCert().writeCert(dir.resolve("ca.pem"));
  }

  /** A JDK client that prefers {@code version} and trusts {@link #CA}. */
  static HttpClient client(HttpClient.Version version) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", CA.caCert().cert());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().version(version).sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  record Run(int exit, String output) {}

  /**
   * Runs {@code command} with stdin closed, stdout and stderr together; skips the test when the tool
   * is not installed (curl: Debian's curl; nghttp, h2load: nghttp2-client).
   */
  static Run run(String... command) throws IOException, InterruptedException {
    assumeTrue(onPath(command[0]), command[0] + " is not installed; the HTTP/2 interop tests need curl and nghttp2-client"
        + " (apt-get install curl nghttp2-client)");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 60s");
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) return true;
    }
    return false;
  }
}
