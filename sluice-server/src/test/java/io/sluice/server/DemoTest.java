package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.proxy.testing.GatewayFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The five-minute tour of the README, on a copy of {@code examples/demo} whose listeners (8080,
 * 8081, 8443) are rewritten to port 0, so the test cannot clash with anything running on the
 * machine: the test reads the ports from the log, then points the echo upstream at the echo
 * listener's port (the demo's own edit-while-it-runs path).
 */
class DemoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private static Path dir;
  private static int port;
  private static int adminPort;
  private static int httpsPort;
  private static ServerProcess sluice;

  @BeforeAll
  static void start() throws IOException, InterruptedException {
    Path demo = ServerProcess.repoRoot().resolve("examples/demo");
    // Until the echo listener has its port, the echo upstream points at a port that refuses connections.
    String echoPlaceholder = "127.0.0.1:" + GatewayFixture.closedPort();
    dir = Files.createTempDirectory("sluice-demo");
    List<Path> files;
    try (Stream<Path> list = Files.list(demo)) {
      files = list.filter(Files::isRegularFile).toList();
    }
    int replaced = 0;
    for (Path f : files) {
      String text = Files.readString(f);
      String moved = f.getFileName().toString().equals("upstreams.yaml")
          ? text.replace("127.0.0.1:8081", echoPlaceholder)
          : text.replace("127.0.0.1:8080", "127.0.0.1:0").replace("127.0.0.1:8081", "127.0.0.1:0").replace("127.0.0.1:8443", "127.0.0.1:0");
      replaced += moved.equals(text) ? 0 : 1;
      Files.writeString(dir.resolve(f.getFileName()), moved);
    }
    assertThat(replaced).as("files of examples/demo that name port 8080 or 8081").isEqualTo(2);
    sluice = ServerProcess.start("serve", "--config-dir", dir.toString(), "--demo", "--admin-address", "127.0.0.1:0");
    port = sluice.awaitListener("demo");
    httpsPort = sluice.awaitListener("demo-tls");
    adminPort = sluice.adminPort();
    int echoPort = sluice.awaitListener("echo-backend");
    Path upstreams = dir.resolve("upstreams.yaml");
    Files.writeString(upstreams, Files.readString(upstreams).replace(echoPlaceholder, "127.0.0.1:" + echoPort));
    await().atMost(Duration.ofSeconds(20)).until(() -> get("/echo/ready").statusCode() == 200);
  }

  @AfterAll
  static void stop() {
    try {
      if (sluice != null) sluice.close();
    } finally {
      if (dir != null) ServerProcess.deleteRecursively(dir);
    }
  }

  private static HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (headers.length > 0) b.headers(headers);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theCurlCommandsToTryArePrintedOnStdout() {
    String addr = "http://127.0.0.1:" + port;
    await().atMost(Duration.ofSeconds(5)).until(() -> sluice.stdout().contains("Ctrl-C stops it."));
    assertThat(sluice.stdout().lines().map(String::strip).toList()).contains(
        "Sluice is serving the demo on " + addr + " - try:",
        "curl -i " + addr + "/                      # a direct response from the gateway",
        "curl -i " + addr + "/echo/hello?x=1        # proxied to the built-in echo upstream",
        "curl -i -H 'X-Canary: 1' " + addr + "/echo  # header match: the canary route",
        "curl -i " + addr + "/nowhere               # no route: 404 with a JSON reason",
        "Edit " + dir + "/*.yaml while it runs: valid changes apply at once. Ctrl-C stops it.");
  }

  @Test
  void theDemoIsInItsOwnStoreAndTheCliSeesItThroughTheAdminApi() throws Exception {
    String admin = "http://127.0.0.1:" + adminPort;
    await().atMost(Duration.ofSeconds(5)).until(() -> sluice.stdout().contains("Ctrl-C stops it."));
    assertThat(sluice.stdout().lines().map(String::strip).toList()).contains(
        "The admin API is on " + admin + " - try:",
        "%-50s # the running config, from the store".formatted("bin/sluice get routes --server " + admin),
        "%-50s # which route takes a request".formatted("bin/sluice route-test GET http://127.0.0.1:" + port + "/echo/hi --server " + admin));
    assertThat(sluice.stderr()).contains("admin API on " + admin + " (OpenAPI: " + admin + "/api/v1/openapi.json");

    ServerProcess.Result r = ServerProcess.run("get", "routes", "--server", admin);

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).hasSize(5);
    assertThat(r.stdoutLines().get(1)).matches("Route +echo +1 +\\* prefix:/echo -> echo \\(on demo,demo-tls\\)");
    assertThat(r.stdoutLines().get(4)).matches("Route +hello +1 +\\* exact:/ -> direct 200 \\(on demo,demo-tls\\)");
  }

  @Test
  void diffOfTheDemoDirectoryShowsNoDifferencesAndNamesItsObjectsAsTheDirectorys() throws Exception {
    await().atMost(Duration.ofSeconds(5)).until(() -> sluice.stdout().contains("Ctrl-C stops it."));

    ServerProcess.Result r = ServerProcess.run("diff", "-f", dir.toString(), "--server", "http://127.0.0.1:" + adminPort);

    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderrLines()).hasSize(1);
    assertThat(r.stderrLines().getFirst()).startsWith("owned by the config directory " + dir + " (apply refuses them without --force): ")
        .contains("Route/hello", "Listener/demo");
  }

  @Test
  void servesHttpsWithTheCertificateItMadeAndPrintsTheCurlCommandThatTrustsIt() throws Exception {
    await().atMost(Duration.ofSeconds(5)).until(() -> sluice.stdout().contains("Ctrl-C stops it."));
    String line = sluice.stdout().lines().map(String::strip).filter(l -> l.contains("https://")).findFirst().orElseThrow();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("curl -i --cacert (\\S+/certs/demo-ca\\.pem) https://127\\.0\\.0\\.1:"
        + httpsPort + "/ +# HTTPS, the demo's own CA").matcher(line);
    assertThat(m.matches()).as(line).isTrue();
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(Path.of(m.group(1)))) {
      trust.setCertificateEntry("demo", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + httpsPort + "/")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("Hello from Sluice. Try /echo/anything\n");
  }

  @Test
  void theRootAnswersTheHelloDirectResponse() throws Exception {
    HttpResponse<String> r = get("/");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("Hello from Sluice. Try /echo/anything\n");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
  }

  @Test
  void echoIsProxiedWithThePrefixRemovedAndTheQueryKept() throws Exception {
    HttpResponse<String> r = get("/echo/hello?x=1");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode echo = JSON.readTree(r.body());
    assertThat(echo.path("method").asText()).isEqualTo("GET");
    assertThat(echo.path("path").asText()).isEqualTo("/hello");
    assertThat(echo.path("query").asText()).isEqualTo("x=1");
    assertThat(echo.path("clientIp").asText()).isEqualTo("127.0.0.1");
    JsonNode headers = echo.path("headers");
    assertThat(headers.path("Host").asText()).isEqualTo("127.0.0.1:" + port);
    assertThat(headers.path("X-Forwarded-For").asText()).isEqualTo("127.0.0.1");
    assertThat(headers.path("X-Forwarded-Proto").asText()).isEqualTo("http");
    assertThat(headers.path("X-Forwarded-Host").asText()).isEqualTo("127.0.0.1:" + port);
    assertThat(headers.path("X-Request-Id").asText()).isNotEmpty();
  }

  @Test
  void theCanaryHeaderRoutesToTheCanaryPath() throws Exception {
    HttpResponse<String> r = get("/echo/hello", "X-Canary", "1");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode echo = JSON.readTree(r.body());
    assertThat(echo.path("path").asText()).isEqualTo("/canary/hello");
    assertThat(echo.path("headers").path("X-Canary").asText()).isEqualTo("1");
  }

  @Test
  void anUnknownPathIsA404WithTheNoRouteReason() throws Exception {
    HttpResponse<String> r = get("/nowhere");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("X-Sluice-Reason")).hasValue("no_route");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("status").asInt()).isEqualTo(404);
    assertThat(body.path("reason").asText()).isEqualTo("no_route");
    assertThat(body.path("message").asText()).isEqualTo("no route matches the request");
  }
}
