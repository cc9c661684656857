package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.proxy.metrics.GatewayStats;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void statsGiveTotalsRatesPercentilesBandwidthAndCodesForKnownTraffic() throws Exception {
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> {
          if (req.target().equals("/api/slow")) {
            try {
              Thread.sleep(80);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          ex.respond(req.target().equals("/api/fail") ? 503 : 200, Map.of(), "body");
        });
        GatewayFixture gw = GatewayFixture.start(MetricsTest.config(0, up.address(), GatewayFixture.closedPort()))) {
      int port = gw.port();
      for (int i = 0; i < 10; i++) gw.get(port, "/api/ok");
      gw.get(port, "/api/slow");
      gw.get(port, "/api/fail");
      gw.get(port, "/api/fail");
      gw.get(port, "/hello");
      await().atMost(Duration.ofSeconds(10)).until(() -> route(gw.gateway().stats(), "hello").traffic().requests() == 1
          && route(gw.gateway().stats(), "api").traffic().requests() == 13);
      GatewayStats stats = gw.gateway().stats();
      PrometheusScrape prom = PrometheusScrape.of(gw.gateway());

      GatewayStats.Traffic api = route(stats, "api").traffic();
      assertThat(api.requests()).isEqualTo(13);
      assertThat(api.errors()).isEqualTo(2);
      assertThat(api.statusCodes()).isEqualTo(Map.of("200", 11L, "503", 2L));
      // Younger than every window: what happened, divided by the window's length.
      assertThat(api.requestRate().m1()).isCloseTo(13 / 60.0, within(1e-9));
      assertThat(api.requestRate().m5()).isCloseTo(13 / 300.0, within(1e-9));
      assertThat(api.requestRate().m15()).isCloseTo(13 / 900.0, within(1e-9));
      assertThat(api.errorRate().m1()).isCloseTo(2 / 60.0, within(1e-9));
      GatewayStats.Latency l = api.latency();
      assertThat(l.count()).isEqualTo(13);
      assertThat(l.p25()).isPositive();
      assertThat(l.p25()).isLessThanOrEqualTo(l.p50());
      assertThat(l.p50()).isLessThanOrEqualTo(l.p75());
      assertThat(l.p75()).isLessThanOrEqualTo(l.p95());
      assertThat(l.p95()).isLessThanOrEqualTo(l.p98());
      assertThat(l.p98()).isLessThanOrEqualTo(l.p99());
      assertThat(l.p99()).isLessThanOrEqualTo(l.p999());
      // One request in 13 took at least 80 ms: it is the p95 and above (bucket midpoints err by at most 1/32).
      assertThat(l.p95()).isGreaterThanOrEqualTo(80 * (1 - 1 / 32.0));
      assertThat(l.p75()).isLessThan(80 * (1 - 1 / 32.0));
      assertThat(l.mean()).isGreaterThan(80 / 13.0);
      assertThat(api.bandwidth().bytesIn()).isEqualTo((long) prom.count("sluice_route_request_bytes_total", "route", "api"));
      assertThat(api.bandwidth().bytesOut()).isEqualTo((long) prom.count("sluice_route_response_bytes_total", "route", "api"));
      assertThat(api.bandwidth().outRate().m1()).isCloseTo(api.bandwidth().bytesOut() / 60.0, within(1e-9));

      GatewayStats.Traffic hello = route(stats, "hello").traffic();
      assertThat(hello.requests()).isEqualTo(1);
      assertThat(hello.errors()).isZero();
      assertThat(hello.statusCodes()).isEqualTo(Map.of("200", 1L));
      assertThat(route(stats, "dead").traffic().requests()).isZero();
      assertThat(route(stats, "dead").traffic().latency().count()).isZero();

      GatewayStats.Upstream backend = stats.upstreams().stream().filter(u -> u.name().equals("backend")).findFirst().orElseThrow();
      assertThat(backend.traffic().requests()).isEqualTo(13);
      assertThat(backend.traffic().statusCodes()).isEqualTo(Map.of("200", 11L, "503", 2L));
      assertThat(backend.endpoints()).hasSize(1);
      GatewayStats.Endpoint ep = backend.endpoints().get(0);
      assertThat(ep.address()).isEqualTo(up.address());
      assertThat(ep.healthy()).isTrue();
      assertThat(ep.openConnections()).isEqualTo(1);
      assertThat(ep.activeRequests()).isZero();
      assertThat(ep.traffic().latency().count()).isEqualTo(13);
      assertThat(ep.traffic().latency().p99()).isGreaterThanOrEqualTo(80 * (1 - 1 / 32.0));

      GatewayStats.Listener main = stats.listeners().get(0);
      assertThat(main.name()).isEqualTo("main");
      assertThat(main.traffic().requests()).isEqualTo(14);
      assertThat(main.activeConnections()).isEqualTo(1);
      assertThat(Instant.parse(stats.time())).isBefore(Instant.now().plusSeconds(1));

      JsonNode json = new ObjectMapper().valueToTree(stats);
      JsonNode apiJson = json.get("routes").get(0);
      assertThat(apiJson.get("name").asText()).isEqualTo("api");
      assertThat(apiJson.at("/traffic/requests").asLong()).isEqualTo(13);
      assertThat(apiJson.at("/traffic/statusCodes/503").asLong()).isEqualTo(2);
      assertThat(apiJson.at("/traffic/requestRate/m5").asDouble()).isCloseTo(13 / 300.0, within(1e-9));
      assertThat(apiJson.at("/traffic/latency/p999").isNumber()).isTrue();
      assertThat(json.at("/upstreams/0/endpoints/0/address").asText()).isEqualTo(up.address());
    }
  }

  @Test
  void statsShowAnEndpointsBreakerOpenOnceItsFailuresOpenItAndNoneWhereNoBreakerIsConfigured() throws Exception {
    try (TestUpstream up = TestUpstream.start("failing", (req, ex) -> ex.respond(500, Map.of(), "down"));
        GatewayFixture gw = GatewayFixture.start("""
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: main}
            spec: {address: 127.0.0.1:0}
            ---
            apiVersion: sluice.io/v1
            kind: Upstream
            metadata: {name: failing}
            spec:
              endpoints: [{address: "%s"}]
              circuitBreaker:
                endpoint: {failureRateThreshold: 50, minimumCalls: 4, slidingWindow: {type: count, size: 4}, waitInOpen: 60s}
            ---
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: all}
            spec:
              match: {path: {prefix: /}}
              upstream: failing
            """.formatted(up.address()))) {
      GatewayStats.Upstream before = upstream(gw.gateway().stats(), "failing");
      assertThat(before.breaker()).isNull();
      assertThat(before.endpoints().get(0).breaker()).isEqualTo("closed");
      for (int i = 0; i < 4; i++) assertThat(gw.get(gw.port(), "/fail/" + i).statusCode()).isEqualTo(500);
      await().atMost(Duration.ofSeconds(10)).until(() -> "open".equals(upstream(gw.gateway().stats(), "failing").endpoints().get(0).breaker()));
      GatewayStats.Endpoint ep = upstream(gw.gateway().stats(), "failing").endpoints().get(0);
      assertThat(ep.healthy()).isFalse();
      JsonNode json = new ObjectMapper().valueToTree(gw.gateway().stats());
      assertThat(json.at("/upstreams/0/endpoints/0/breaker").asText()).isEqualTo("open");
      assertThat(json.at("/upstreams/0/breaker").isNull()).isTrue();
    }
  }

  private static GatewayStats.Upstream upstream(GatewayStats s, String name) {
    return s.upstreams().stream().filter(u -> u.name().equals(name)).findFirst().orElseThrow();
  }

  private static GatewayStats.Route route(GatewayStats s, String name) {
    return s.routes().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }
}
