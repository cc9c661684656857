package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics}, {@code /api/v1/stats} and {@code sluice top} on a real server process, after
 * known traffic through its proxy.
 */
class ObservabilityTest {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  @TempDir Path dir;

  private static String config(int port, String backend) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: api}
        spec:
          match:
            path: {prefix: /api}
          upstream: backend
        """.formatted(port, backend);
  }

  /** The value of the sample of {@code name} with exactly these labels (name/value pairs), or null when there is none. */
  private static @Nullable Double sample(String metrics, String name, String... labels) {
    Map<String, String> want = new TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) want.put(labels[i], labels[i + 1]);
    for (String line : metrics.split("\n")) {
      if (line.startsWith("#")) continue;
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches() || !m.group(1).equals(name)) continue;
      Map<String, String> got = new TreeMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) got.put(l.group(1), l.group(2));
      }
      if (got.equals(want)) return Double.parseDouble(m.group(3));
    }
    return null;
  }

  private static HttpResponse<String> get(String url, @Nullable String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Applies {@code config} and waits until the data plane serves the store's revision; returns it. */
  private static long applyAndWait(ControlPlane cp, Path file, @Nullable String token) throws Exception {
    ServerProcess.Result r = token == null ? cp.sluice("apply", "-f", file.toString())
        : cp.sluiceWithToken(token, "apply", "-f", file.toString());
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    JsonNode[] status = new JsonNode[1];
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      status[0] = ControlPlane.JSON.readTree(cp.send("GET", "/api/v1/status", null, token).body());
      return status[0].path("appliedRevision").asLong() == status[0].path("storeRevision").asLong();
    });
    return status[0].path("storeRevision").asLong();
  }

  @Test
  void metricsStatsAndTopCountExactlyTheTrafficSentThroughTheProxy() throws Exception {
    try (TestUpstream backend = TestUpstream.named("backend");
        ControlPlane cp = ControlPlane.start()) {
      long revision = applyAndWait(cp, ControlPlane.write(dir, "config.yaml", config(0, backend.address())), null);
      int port = BoundListeners.port(cp.get("/api/v1/status"), "main");
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = get("http://127.0.0.1:" + port + "/api/items/" + i, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend");
      }
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = get("http://127.0.0.1:" + port + "/elsewhere/" + i, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("x-sluice-reason")).hasValue("no_route");
      }

      HttpResponse<String> scrape = get(cp.url() + "/metrics", null);
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      String m = scrape.body();
      assertThat(sample(m, "sluice_requests_total", "listener", "main", "code", "200", "class", "2xx")).isEqualTo(5);
      assertThat(sample(m, "sluice_requests_total", "listener", "main", "code", "404", "class", "4xx")).isEqualTo(3);
      assertThat(sample(m, "sluice_gateway_errors_total", "listener", "main", "reason", "no_route")).isEqualTo(3);
      // Routes by status class, without histograms, unless serve is asked for them.
      assertThat(sample(m, "sluice_route_requests_total", "route", "api", "class", "2xx")).isEqualTo(5);
      assertThat(sample(m, "sluice_route_requests_total", "route", "api", "class", "4xx")).isNull();
      assertThat(sample(m, "sluice_upstream_requests_total", "upstream", "backend", "endpoint", backend.address(),
          "code", "200", "class", "2xx")).isEqualTo(5);
      assertThat(sample(m, "sluice_route_request_duration_seconds_count", "route", "api")).isNull();
      assertThat(sample(m, "sluice_request_duration_seconds_count", "listener", "main")).isEqualTo(8);
      assertThat(sample(m, "sluice_metrics_series_dropped_total")).isEqualTo(0);
      assertThat(sample(m, "sluice_upstream_endpoint_healthy", "upstream", "backend", "endpoint", backend.address())).isEqualTo(1);
      assertThat(sample(m, "sluice_config_revision")).isEqualTo((double) revision);
      assertThat(sample(m, "sluice_config_apply_failures_total")).isEqualTo(0);

      JsonNode stats = cp.get("/api/v1/stats");
      JsonNode route = stats.path("routes").get(0);
      assertThat(stats.path("routes")).hasSize(1);
      assertThat(route.path("name").asText()).isEqualTo("api");
      assertThat(route.path("traffic").path("requests").asLong()).isEqualTo(5);
      assertThat(route.path("traffic").path("errors").asLong()).isZero();
      assertThat(route.path("traffic").path("statusCodes").toString()).isEqualTo("{\"200\":5}");
      assertThat(route.path("traffic").path("latency").path("count").asLong()).isEqualTo(5);
      JsonNode listener = stats.path("listeners").get(0);
      assertThat(listener.path("name").asText()).isEqualTo("main");
      assertThat(listener.path("traffic").path("statusCodes").toString()).isEqualTo("{\"200\":5,\"404\":3}");
      JsonNode upstream = stats.path("upstreams").get(0);
      assertThat(upstream.path("name").asText()).isEqualTo("backend");
      assertThat(upstream.path("endpoints").get(0).path("address").asText()).isEqualTo(backend.address());
      assertThat(upstream.path("endpoints").get(0).path("healthy").asBoolean()).isTrue();
      HttpResponse<String> yaml = get(cp.url() + "/api/v1/stats?output=yaml", null);
      assertThat(yaml.headers().firstValue("content-type")).hasValue("application/yaml; charset=utf-8");
      assertThat(yaml.body()).contains("\n  - name: api\n    traffic:\n      requests: 5\n");

      ServerProcess.Result top = cp.sluice("top", "--once");
      assertThat(top.exitCode()).as(top.stderr()).isZero();
      assertThat(top.stdout()).doesNotContain("\033[");
      assertThat(top.stdoutLines()).anyMatch(l -> l.matches(
          "ROUTE +REQUESTS +RPS +ERR% +P50ms +P99ms +P99\\.9ms +IN KiB/s +OUT KiB/s"));
      // 5 requests, no errors; rps is over the last minute, so a little under 5/60.
      assertThat(top.stdoutLines()).anyMatch(l -> l.matches("api +5 +0\\.0[0-9] +0\\.0 +\\d+\\.\\d +\\d+\\.\\d +\\d+\\.\\d +\\d+\\.\\d +\\d+\\.\\d"));
      assertThat(top.stdoutLines()).anyMatch(l -> l.matches("backend +5 +0\\.0[0-9] +0\\.0 +.* +1/1 up"));
      assertThat(top.stdoutLines()).anyMatch(l -> l.matches(
          "  " + Pattern.quote(backend.address()) + " +5 +.* +up, \\d+ conn, 0 active"));
    }
  }

  @Test
  void serveExportsRouteStatusCodesAndHistogramsWhenAskedFor() throws Exception {
    try (TestUpstream backend = TestUpstream.named("backend");
        ControlPlane cp = ControlPlane.start("--metrics-route-histograms", "--metrics-route-status-codes", "code")) {
      applyAndWait(cp, ControlPlane.write(dir, "config.yaml", config(0, backend.address())), null);
      int port = BoundListeners.port(cp.get("/api/v1/status"), "main");
      for (int i = 0; i < 2; i++) assertThat(get("http://127.0.0.1:" + port + "/api/" + i, null).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> Double.valueOf(2).equals(
          sample(get(cp.url() + "/metrics", null).body(), "sluice_route_request_duration_seconds_count", "route", "api")));
      String m = get(cp.url() + "/metrics", null).body();
      assertThat(sample(m, "sluice_route_requests_total", "route", "api", "code", "200", "class", "2xx")).isEqualTo(2);
      assertThat(sample(m, "sluice_route_requests_total", "route", "api", "class", "2xx")).isNull();
      assertThat(sample(m, "sluice_route_request_duration_seconds_bucket", "route", "api", "le", "+Inf")).isEqualTo(2);
    }
  }

  @Test
  void aMetricsSeriesCapBelowOneIsAUsageError() throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", dir.resolve("data").toString(),
        "--admin-address", "127.0.0.1:0", "--metrics-max-series", "0");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --metrics-max-series must be at least 1, got 0");
  }

  @Test
  void aRefusedConfigDirectoryChangeIsCountedAndTheRevisionStays() throws Exception {
    Path config = dir.resolve("config");
    ControlPlane.write(config, "gateway.yaml", config(0, "127.0.0.1:1"));
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString())) {
      String before = get(cp.url() + "/metrics", null).body();
      assertThat(sample(before, "sluice_config_revision")).isEqualTo(1);
      assertThat(sample(before, "sluice_config_apply_failures_total")).isEqualTo(0);
      ControlPlane.write(config, "bad.yaml", """
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: bad}
          spec:
            upstream: nowhere
          """);
      await().atMost(Duration.ofSeconds(20)).until(() ->
          sample(get(cp.url() + "/metrics", null).body(), "sluice_config_apply_failures_total") == 1);
      assertThat(sample(get(cp.url() + "/metrics", null).body(), "sluice_config_revision")).isEqualTo(1);
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(1);
    }
  }

  @Test
  void topExitsOneNamingTheUrlWhenTheServerIsUnreachable() throws Exception {
    String url = "http://127.0.0.1:" + GatewayFixture.closedPort();
    ServerProcess.Result r = ServerProcess.run("top", "--once", "--server", url);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderrLines()).containsExactly("error: cannot reach the admin API at " + url + ": connection refused");
  }

  @Test
  void topRefusesAnIntervalThatIsNotADuration() throws Exception {
    ServerProcess.Result r = ServerProcess.run("top", "--interval", "5", "--server", "http://127.0.0.1:1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderr()).contains("--interval").contains("expected a duration such as 500ms, 2s or 1m, got '5'");
  }

  @Test
  void withTokensAViewerReadsMetricsAndStatsAndNoTokenIsRefused() throws Exception {
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - name: ci-bot
            role: editor
            token: "editor-secret"
          - name: prometheus
            role: viewer
            token: "viewer-secret"
        """);
    try (TestUpstream backend = TestUpstream.named("backend");
        ControlPlane cp = ControlPlane.start("--admin-tokens", tokens.toString())) {
      long revision = applyAndWait(cp, ControlPlane.write(dir, "config.yaml", config(0, backend.address())),
          "editor-secret");
      HttpResponse<String> none = get(cp.url() + "/metrics", null);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"sluice\"");
      assertThat(ControlPlane.JSON.readTree(none.body()).path("error").asText()).isEqualTo("unauthorized");
      assertThat(get(cp.url() + "/api/v1/stats", null).statusCode()).isEqualTo(401);
      assertThat(get(cp.url() + "/metrics", "wrong").statusCode()).isEqualTo(401);

      HttpResponse<String> viewer = get(cp.url() + "/metrics", "viewer-secret");
      assertThat(viewer.statusCode()).isEqualTo(200);
      assertThat(sample(viewer.body(), "sluice_config_revision")).isEqualTo((double) revision);
      HttpResponse<String> stats = get(cp.url() + "/api/v1/stats", "viewer-secret");
      assertThat(stats.statusCode()).isEqualTo(200);
      assertThat(ControlPlane.JSON.readTree(stats.body()).path("upstreams").get(0).path("name").asText()).isEqualTo("backend");

      ServerProcess.Result top = cp.sluiceWithToken("viewer-secret", "top", "--once");
      assertThat(top.exitCode()).as(top.stderr()).isZero();
      assertThat(top.stdoutLines()).anyMatch(l -> l.matches("api +0 +0\\.00 +- +0\\.0 +0\\.0 +0\\.0 +0\\.0 +0\\.0"));
      ServerProcess.Result anonymous = cp.sluice("top", "--once");
      assertThat(anonymous.exitCode()).isEqualTo(1);
      assertThat(anonymous.stderrLines().getFirst()).startsWith("error: 401 unauthorized: ");
    }
  }
}
