package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.metrics.GatewayMetrics;
import io.sluice.proxy.metrics.MetricsOptions;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {
  static String config(int port, String backend, int deadPort) {
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
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: dead}
        spec:
          endpoints: [{address: 127.0.0.1:%d}]
          timeouts: {connect: 2s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: api}
        spec:
          match: {path: {prefix: /api}}
          upstream: backend
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          match: {path: {exact: /hello}}
          directResponse: {status: 200, body: "hi there"}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: dead}
        spec:
          match: {path: {prefix: /dead}}
          upstream: dead
        """.formatted(port, backend, deadPort);
  }

  static TestUpstream backend() throws Exception {
    return TestUpstream.start("backend", (req, ex) -> {
      if (req.target().startsWith("/api/fail")) {
        ex.respond(503, Map.of("Content-Type", "text/plain"), "unavailable");
      } else {
        ex.respond(200, Map.of("Content-Type", "text/plain"), "ok " + req.bodyLength());
      }
    });
  }

  @Test
  void theListenerFamiliesAloneAreTheFullScrapesListenerLinesWithoutRouteOrEndpointSeries() throws Exception {
    int deadPort = GatewayFixture.closedPort();
    try (GatewayFixture gw = GatewayFixture.start(config(0, "127.0.0.1:" + deadPort, deadPort))) {
      int port = gw.port();
      assertThat(RawHttp.exchange(port, RawHttp.get("/hello")).body()).isEqualTo("hi there");
      assertThat(RawHttp.exchange(port, RawHttp.get("/dead/x")).status()).isEqualTo(502);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .all("sluice_requests_total").stream().mapToDouble(PrometheusScrape.Sample::value).sum()).isEqualTo(2));
      StringBuilder listeners = new StringBuilder();
      gw.gateway().metrics().writeListenerPrometheus(listeners);
      StringBuilder full = new StringBuilder();
      gw.gateway().metrics().writePrometheus(full);
      // The full scrape begins with exactly these families; nothing labelled by route or endpoint is among them.
      assertThat(full.toString()).startsWith(listeners.toString());
      assertThat(listeners.toString()).contains("\nsluice_requests_total{listener=\"main\",",
          "\nsluice_request_duration_seconds_bucket{listener=\"main\",le=\"");
      assertThat(listeners.toString()).doesNotContain("route=", "endpoint=", "sluice_config_revision");
    }
  }

  @Test
  void aRemovedRouteLosesItsSeriesAndAChangedRouteKeepsItsCounts() throws Exception {
    int deadPort = GatewayFixture.closedPort();
    String config = config(0, "127.0.0.1:" + deadPort, deadPort);
    try (GatewayFixture gw = GatewayFixture.start(config)) {
      int port = gw.port();
      assertThat(RawHttp.exchange(port, RawHttp.get("/hello")).body()).isEqualTo("hi there");
      assertThat(RawHttp.exchange(port, RawHttp.get("/dead/x")).status()).isEqualTo(502);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        PrometheusScrape s = PrometheusScrape.of(gw.gateway());
        assertThat(s.count("sluice_route_requests_total", "route", "hello", "class", "2xx")).isEqualTo(1);
        assertThat(s.count("sluice_route_requests_total", "route", "dead", "class", "5xx")).isEqualTo(1);
      });

      // Only routes change: "hello" gets another body, "dead" goes.
      String changed = config.replace("hi there", "hello again");
      gw.reload(changed.substring(0, changed.indexOf("apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: dead}")));
      assertThat(RawHttp.exchange(port, RawHttp.get("/hello")).body()).isEqualTo("hello again");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .count("sluice_route_requests_total", "route", "hello", "class", "2xx")).isEqualTo(2));
      assertThat(PrometheusScrape.of(gw.gateway()).samples)
          .noneMatch(sample -> "dead".equals(sample.labels().get("route")))
          .anyMatch(sample -> "hello".equals(sample.labels().get("route")));
    }
  }

  @Test
  void countsRequestsErrorsBytesAndLatencyPerListenerRouteAndEndpointExactly() throws Exception {
    int deadPort = GatewayFixture.closedPort();
    try (TestUpstream up = backend();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), deadPort))) {
      int port = gw.port();
      for (int i = 0; i < 3; i++) assertThat(gw.get(port, "/api/ok/" + i).statusCode()).isEqualTo(200);
      for (int i = 0; i < 2; i++) assertThat(gw.get(port, "/api/fail").statusCode()).isEqualTo(503);
      HttpResponse<String> post = gw.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/upload"))
          .POST(HttpRequest.BodyPublishers.ofString("0123456789")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.body()).isEqualTo("ok 10");
      RawHttp.Exchange hello = RawHttp.exchange(port, RawHttp.get("/hello"));
      assertThat(hello.body()).isEqualTo("hi there");
      RawHttp.Exchange missing = RawHttp.exchange(port, RawHttp.get("/nowhere"));
      assertThat(missing.status()).isEqualTo(404);
      RawHttp.Exchange dead = RawHttp.exchange(port, RawHttp.get("/dead/x"));
      assertThat(dead.status()).isEqualTo(502);

      String ep = up.address();
      String deadEp = "127.0.0.1:" + deadPort;
      // The response reaches the client a moment before the exchange's end is recorded: wait for the last one.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(PrometheusScrape.of(gw.gateway()).count("sluice_requests_total", "listener", "main", "code", "502", "class", "5xx"))
              .isEqualTo(1));
      PrometheusScrape s = PrometheusScrape.of(gw.gateway());

      assertThat(s.count("sluice_requests_total", "listener", "main", "code", "200", "class", "2xx")).isEqualTo(5);
      assertThat(s.count("sluice_requests_total", "listener", "main", "code", "503", "class", "5xx")).isEqualTo(2);
      assertThat(s.count("sluice_requests_total", "listener", "main", "code", "404", "class", "4xx")).isEqualTo(1);
      assertThat(s.all("sluice_requests_total")).hasSize(4);
      assertThat(s.count("sluice_gateway_errors_total", "listener", "main", "reason", "no_route")).isEqualTo(1);
      assertThat(s.count("sluice_gateway_errors_total", "listener", "main", "reason", "upstream_connect_failure")).isEqualTo(1);
      assertThat(s.all("sluice_gateway_errors_total")).hasSize(2);
      assertThat(s.count("sluice_request_duration_seconds_count", "listener", "main")).isEqualTo(9);
      assertThat(s.count("sluice_request_duration_seconds_bucket", "listener", "main", "le", "+Inf")).isEqualTo(9);

      assertThat(s.count("sluice_route_requests_total", "route", "api", "class", "2xx")).isEqualTo(4);
      assertThat(s.count("sluice_route_requests_total", "route", "api", "class", "5xx")).isEqualTo(2);
      assertThat(s.count("sluice_route_requests_total", "route", "hello", "class", "2xx")).isEqualTo(1);
      assertThat(s.count("sluice_route_requests_total", "route", "dead", "class", "5xx")).isEqualTo(1);
      assertThat(s.count("sluice_route_gateway_errors_total", "route", "dead", "reason", "upstream_connect_failure")).isEqualTo(1);
      // Per-route histograms are opt-in (routesHaveStatusCodesAndHistogramsWhenAskedFor).
      assertThat(s.types).doesNotContainKey("sluice_route_request_duration_seconds");
      assertThat(s.value("sluice_metrics_series_dropped_total")).isEqualTo(0);
      // Exact bytes on the wire, as the raw client sent and received them.
      assertThat(s.count("sluice_route_request_bytes_total", "route", "hello")).isEqualTo(hello.requestBytes());
      assertThat(s.count("sluice_route_response_bytes_total", "route", "hello")).isEqualTo(hello.responseBytes());
      assertThat(s.count("sluice_route_request_bytes_total", "route", "dead")).isEqualTo(dead.requestBytes());
      assertThat(s.count("sluice_route_response_bytes_total", "route", "dead")).isEqualTo(dead.responseBytes());

      assertThat(s.count("sluice_upstream_requests_total", "upstream", "backend", "endpoint", ep, "code", "200", "class", "2xx")).isEqualTo(4);
      assertThat(s.count("sluice_upstream_requests_total", "upstream", "backend", "endpoint", ep, "code", "503", "class", "5xx")).isEqualTo(2);
      assertThat(s.count("sluice_upstream_duration_seconds_count", "upstream", "backend", "endpoint", ep)).isEqualTo(6);
      assertThat(s.count("sluice_upstream_errors_total", "upstream", "dead", "endpoint", deadEp, "reason", "upstream_connect_failure")).isEqualTo(1);
      assertThat(s.count("sluice_upstream_duration_seconds_count", "upstream", "dead", "endpoint", deadEp)).isEqualTo(1);
      // One client connection, requests one after the other: one upstream connection, reused after the first.
      assertThat(s.count("sluice_upstream_connections_acquired_total", "upstream", "backend", "endpoint", ep, "result", "new")).isEqualTo(1);
      assertThat(s.count("sluice_upstream_connections_acquired_total", "upstream", "backend", "endpoint", ep, "result", "reused")).isEqualTo(5);
      assertThat(s.count("sluice_upstream_connect_duration_seconds_count", "upstream", "backend", "endpoint", ep)).isEqualTo(1);
      assertThat(s.value("sluice_upstream_connections", "upstream", "backend", "endpoint", ep)).isEqualTo(1);
      assertThat(s.value("sluice_upstream_requests_active", "upstream", "backend", "endpoint", ep)).isEqualTo(0);
      assertThat(s.value("sluice_upstream_endpoint_healthy", "upstream", "backend", "endpoint", ep)).isEqualTo(1);
      assertThat(s.value("sluice_upstream_connections_max", "upstream", "backend")).isEqualTo(1024);

      histogramsAreCumulativeAndEndAtTheirCount(s);
      assertThat(s.types).containsEntry("sluice_requests_total", "counter")
          .containsEntry("sluice_request_duration_seconds", "histogram")
          .containsEntry("sluice_downstream_connections_active", "gauge");
    }
  }

  private static void histogramsAreCumulativeAndEndAtTheirCount(PrometheusScrape s) {
    for (Map.Entry<String, String> t : s.types.entrySet()) {
      if (!t.getValue().equals("histogram")) continue;
      List<PrometheusScrape.Sample> buckets = s.all(t.getKey() + "_bucket");
      double previous = 0;
      Map<String, String> series = null;
      for (PrometheusScrape.Sample b : buckets) {
        Map<String, String> without = new java.util.TreeMap<>(b.labels());
        String le = without.remove("le");
        if (!without.equals(series)) {
          series = without;
          previous = 0;
        }
        assertThat(b.value()).as(t.getKey() + without + " le=" + le).isGreaterThanOrEqualTo(previous);
        previous = b.value();
        if (le.equals("+Inf")) {
          String[] labels = without.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue())).toArray(String[]::new);
          assertThat(s.value(t.getKey() + "_count", labels)).isEqualTo(b.value());
        }
      }
    }
  }

  @Test
  void exportsActiveConnectionsConfigRevisionApplyFailuresLoopsAndJvm() throws Exception {
    try (TestUpstream up = backend();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), GatewayFixture.closedPort()));
        io.sluice.proxy.testing.RawConnection idle = io.sluice.proxy.testing.RawConnection.open(gw.port())) {
      idle.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(idle.readResponse().status()).isEqualTo(200);
      GatewayMetrics m = gw.gateway().metrics();
      m.setConfigRevision(42);
      m.recordConfigApplyFailure();
      // A listener whose port is taken: Gateway.apply fails and counts it itself.
      try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        assertThatThrownBy(() -> gw.reload(config(0, up.address(), 1) + """
            ---
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: second}
            spec:
              address: 127.0.0.1:%d
            """.formatted(taken.getLocalPort()))).isInstanceOf(IllegalStateException.class);
      }
      PrometheusScrape s = PrometheusScrape.of(gw.gateway());
      assertThat(s.value("sluice_downstream_connections_active", "listener", "main")).isEqualTo(1);
      assertThat(s.value("sluice_config_revision")).isEqualTo(42);
      assertThat(s.value("sluice_config_apply_failures_total")).isEqualTo(2);
      assertThat(s.value("sluice_config_last_apply_timestamp_seconds")).isGreaterThan(1.7e9);
      assertThat(s.value("sluice_event_loop_pending_tasks", "loop", "0")).isNotNull();
      assertThat(s.value("sluice_event_loop_pending_tasks", "loop", "1")).isNotNull();
      assertThat(s.value("sluice_access_log_queue_entries")).isEqualTo(0);
      assertThat(s.value("jvm_memory_used_bytes", "area", "heap")).isPositive();
      assertThat(s.value("jvm_threads_current")).isPositive();
      assertThat(s.value("jvm_buffer_pool_used_bytes", "pool", "direct")).isNotNull();
      assertThat(s.value("sluice_netty_allocator_used_bytes", "type", "direct")).isPositive();
      assertThat(s.value("sluice_netty_allocator_pinned_bytes", "type", "direct")).isNotNull();
      assertThat(s.value("process_cpu_seconds_total")).isPositive();
      assertThat(s.types).containsEntry("jvm_gc_pause_seconds", "histogram");
      System.gc();
      await().atMost(Duration.ofSeconds(10)).until(() -> !PrometheusScrape.of(gw.gateway()).all("jvm_gc_pause_seconds_count").isEmpty());
    }
    }

  @Test
  void registeredGaugesAreScrapedAndRemovedWhenClosed() throws Exception {
    try (GatewayFixture gw = GatewayFixture.start(config(0, "127.0.0.1:1", 2))) {
      GatewayMetrics m = gw.gateway().metrics();
      AutoCloseable reg = m.registerGauge("sluice_test_pool_state", "A test gauge (1 for the current state).",
          List.of("upstream", "endpoint", "state"), samples -> {
            samples.add(1, "backend", "127.0.0.1:1", "open");
            samples.add(0, "backend", "127.0.0.1:1", "closed");
          });
      PrometheusScrape s = PrometheusScrape.of(gw.gateway());
      assertThat(s.types).containsEntry("sluice_test_pool_state", "gauge");
      assertThat(s.value("sluice_test_pool_state", "upstream", "backend", "endpoint", "127.0.0.1:1", "state", "open")).isEqualTo(1);
      assertThat(s.value("sluice_test_pool_state", "upstream", "backend", "endpoint", "127.0.0.1:1", "state", "closed")).isEqualTo(0);
      assertThatThrownBy(() -> m.registerGauge("sluice_test_pool_state", "again", List.of(), x -> {}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
      assertThatThrownBy(() -> m.registerGauge("bad-name", "x", List.of(), x -> {}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid metric name 'bad-name'");
      // A source that breaks its contract costs only its own family, not the scrape.
      AutoCloseable broken = m.registerGauge("sluice_test_broken", "Gives the wrong number of labels.", List.of("a"),
          samples -> samples.add(1, "x", "y"));
      PrometheusScrape withBroken = PrometheusScrape.of(gw.gateway());
      assertThat(withBroken.types).doesNotContainKey("sluice_test_broken").containsKey("sluice_test_pool_state");
      broken.close();
      reg.close();
      assertThat(PrometheusScrape.of(gw.gateway()).types).doesNotContainKey("sluice_test_pool_state");
    }
  }

  @Test
  void breakerStatesAreExportedForUpstreamAndEndpointBreakersWithOneForTheCurrentState() throws Exception {
    try (TestUpstream up = backend();
        GatewayFixture gw = GatewayFixture.start("""
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
              endpoints: [{address: %s}]
              circuitBreaker:
                upstream: {failureRateThreshold: 50, minimumCalls: 2, slidingWindow: {size: 2}, waitInOpen: 1h}
                endpoint: {failureRateThreshold: 50, minimumCalls: 100, slidingWindow: {size: 100}, waitInOpen: 1h}
            ---
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: api}
            spec:
              match: {path: {prefix: /api}}
              upstream: backend
            """.formatted(0, up.address()))) {
      String ep = up.address();
      PrometheusScrape before = PrometheusScrape.of(gw.gateway());
      assertThat(before.types).containsEntry(GatewayMetrics.BREAKER_STATE, "gauge");
      assertThat(before.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", "", "state", "closed")).isEqualTo(1);
      assertThat(before.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", "", "state", "open")).isEqualTo(0);
      assertThat(before.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", "", "state", "half_open")).isEqualTo(0);
      assertThat(before.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", ep, "state", "closed")).isEqualTo(1);
      // Two 503s fill the upstream breaker's window: it opens; the endpoint's (minimumCalls 100) stays closed.
      for (int i = 0; i < 2; i++) assertThat(gw.get(gw.port(), "/api/fail").statusCode()).isEqualTo(503);
      PrometheusScrape after = PrometheusScrape.of(gw.gateway());
      assertThat(after.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", "", "state", "open")).isEqualTo(1);
      assertThat(after.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", "", "state", "closed")).isEqualTo(0);
      assertThat(after.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", ep, "state", "closed")).isEqualTo(1);
      assertThat(after.value(GatewayMetrics.BREAKER_STATE, "upstream", "backend", "endpoint", ep, "state", "open")).isEqualTo(0);
      assertThatThrownBy(() -> gw.gateway().metrics().registerGauge(GatewayMetrics.BREAKER_STATE, "again", List.of(), x -> {}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
    }
  }

  @Test
  void metersOfARemovedRouteGoAwayAndThoseOfAKeptRouteKeepCounting() throws Exception {
    try (TestUpstream up = backend();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), GatewayFixture.closedPort()))) {
      int port = gw.port();
      gw.get(port, "/hello");
      gw.get(port, "/api/x");
      await().untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .count("sluice_route_requests_total", "route", "api", "class", "2xx")).isEqualTo(1));
      String withoutHello = config(0, up.address(), GatewayFixture.closedPort()).replaceAll(
          "(?s)---\\s*apiVersion: sluice.io/v1\\s*kind: Route\\s*metadata: \\{name: hello}.*?(?=---)", "");
      gw.reload(withoutHello);
      gw.get(port, "/api/y");
      await().untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .count("sluice_route_requests_total", "route", "api", "class", "2xx")).isEqualTo(2));
      PrometheusScrape s = PrometheusScrape.of(gw.gateway());
      assertThat(s.value("sluice_route_requests_total", "route", "hello", "class", "2xx")).isNull();
      assertThat(s.value("sluice_route_request_bytes_total", "route", "hello")).isNull();
    }
  }

  @Test
  void routesHaveStatusCodesAndHistogramsWhenAskedFor() throws Exception {
    MetricsOptions options = MetricsOptions.DEFAULTS.withRouteHistograms(true)
        .withRouteStatusCodes(MetricsOptions.StatusCodes.CODE);
    try (TestUpstream up = backend();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), GatewayFixture.closedPort()), options)) {
      int port = gw.port();
      for (int i = 0; i < 3; i++) assertThat(gw.get(port, "/api/ok").statusCode()).isEqualTo(200);
      assertThat(gw.get(port, "/api/fail").statusCode()).isEqualTo(503);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .count("sluice_route_request_duration_seconds_count", "route", "api")).isEqualTo(4));
      PrometheusScrape s = PrometheusScrape.of(gw.gateway());
      assertThat(s.value("sluice_route_requests_total", "route", "api", "code", "200", "class", "2xx")).isEqualTo(3);
      assertThat(s.value("sluice_route_requests_total", "route", "api", "code", "503", "class", "5xx")).isEqualTo(1);
      assertThat(s.all("sluice_route_requests_total")).hasSize(2);
      assertThat(s.value("sluice_route_request_duration_seconds_bucket", "route", "api", "le", "+Inf")).isEqualTo(4);
      assertThat(s.all("sluice_route_request_duration_seconds_bucket")).hasSize(3 * 17);
      assertThat(s.types).containsEntry("sluice_route_request_duration_seconds", "histogram");
    }
  }
}
