package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The size of a scrape with 10,000 routes, every one of them hit once: one in ten proxied to an
 * upstream, the others answered directly. docs/benchmarks.md ("Metrics size at 10,000 routes")
 * records what it prints.
 */
class MetricsSizeTest {
  private static final int ROUTES = 10_000;

  @Test
  void aScrapeOfTenThousandRoutesWithTrafficStaysUnderTwoMegabytesByDefault() throws Exception {
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address()))) {
      int port = gw.port();
      for (int i = 0; i < ROUTES; i++) {
        assertThat(gw.get(port, "/r/" + i).statusCode()).isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .count("sluice_request_bytes_total", "listener", "main")).isPositive());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway())
          .all("sluice_route_requests_total").stream().mapToDouble(PrometheusScrape.Sample::value).sum()).isEqualTo(ROUTES));
      PrometheusScrape s = PrometheusScrape.of(gw.gateway());
      int bytes = s.text.getBytes(StandardCharsets.UTF_8).length;
      long routeSeries = s.samples.stream().filter(x -> x.labels().containsKey("route")).count();
      System.out.printf("metrics at %d routes: %d bytes, %d series (%d with a route label)%n",
          ROUTES, bytes, s.samples.size(), routeSeries);

      assertThat(bytes).isLessThan(2_000_000);
      // Three series a route: requests by status class, bytes in, bytes out.
      assertThat(routeSeries).isEqualTo(3L * ROUTES);
      assertThat(s.value("sluice_route_requests_total", "route", "route-00007", "class", "2xx")).isEqualTo(1);
      assertThat(s.types).doesNotContainKey("sluice_route_request_duration_seconds");
      assertThat(s.value("sluice_metrics_series_dropped_total")).isEqualTo(0);
    }
  }

  private static String config(int port, String backend) {
    StringBuilder y = new StringBuilder("""
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
        """.formatted(port, backend));
    for (int i = 0; i < ROUTES; i++) {
      y.append("---\napiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: route-%05d}\nspec:\n".formatted(i));
      y.append("  match: {path: {exact: /r/%d}}\n".formatted(i));
      y.append(i % 10 == 0 ? "  upstream: backend\n" : "  directResponse: {status: 200, body: ok}\n");
    }
    return y.toString();
  }
}
