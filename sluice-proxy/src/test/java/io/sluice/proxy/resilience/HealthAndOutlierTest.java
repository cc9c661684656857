package io.sluice.proxy.resilience;

import static io.sluice.proxy.resilience.Configs.route;
import static io.sluice.proxy.resilience.Configs.upstream;
import static io.sluice.proxy.resilience.Configs.withListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Active health checks and passive outlier detection taking endpoints out of every balancer and
 * bringing them back, through the real proxy. Waits are bounded awaits, never timing assertions.
 */
class HealthAndOutlierTest {
  private static final Duration BOUND = Duration.ofSeconds(15);

  /** Answers its name with {@code status}; {@code /healthz} answers {@code health}. */
  private static TestUpstream serving(String name, AtomicInteger status, AtomicInteger health) throws IOException {
    return TestUpstream.start(name, (req, ex) -> {
      if (req.target().equals("/healthz")) {
        ex.respond(health.get(), Map.of(), "health");
      } else {
        ex.respond(status.get(), Map.of("Content-Type", "text/plain"), name);
      }
    });
  }

  private static RawConnection.Response get(GatewayFixture gw, String target) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET " + target + " HTTP/1.1\r\nHost: shop\r\n\r\n");
      return c.readResponse();
    }
  }

  /** The bodies of {@code n} requests on one keep-alive connection. */
  private static List<String> bodies(GatewayFixture gw, int n) throws IOException {
    List<String> out = new ArrayList<>();
    try (RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < n; i++) {
        c.send("GET /r/" + i + " HTTP/1.1\r\nHost: shop\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        out.add(r.status() + " " + r.body());
      }
    }
    return out;
  }

  /** Requests other than health checks that {@code u} received, draining its queue. */
  private static long proxied(TestUpstream u) {
    List<TestUpstream.Received> all = new ArrayList<>();
    u.received().drainTo(all);
    return all.stream().filter(r -> !r.target().equals("/healthz")).count();
  }

  private static String healthChecked(TestUpstream a, TestUpstream b) {
    return upstream("backend", """
          endpoints: [{address: "%s"}, {address: "%s"}]
          timeouts: {connect: 1s, response: 5s}
          healthCheck: {path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 1, unhealthyThreshold: 1}
        """.formatted(a.address(), b.address())) + route("all", "  upstream: backend");
  }

  @Test
  void endpointFailingItsHealthCheckLeavesRotationAndReturnsWhenItPasses() throws Exception {
    AtomicInteger ok = new AtomicInteger(200);
    AtomicInteger aHealth = new AtomicInteger(200);
    AtomicInteger bHealth = new AtomicInteger(200);
    try (TestUpstream a = serving("a", ok, aHealth);
        TestUpstream b = serving("b", ok, bHealth);
        GatewayFixture gw = GatewayFixture.start(withListener(healthChecked(a, b)))) {
      assertThat(bodies(gw, 4)).containsOnly("200 a", "200 b").contains("200 a", "200 b");
      // The checker sends what is configured.
      TestUpstream.Received check = await().atMost(BOUND).until(() -> a.received().stream()
          .filter(r -> r.target().equals("/healthz")).findFirst().orElse(null), java.util.Objects::nonNull);
      assertThat(check.method()).isEqualTo("GET");
      assertThat(check.header("host")).isEqualTo(a.address());
      assertThat(check.header("user-agent")).isEqualTo("sluice-health-check");

      aHealth.set(503);
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> bodies(gw, 6).stream().allMatch("200 b"::equals));
      proxied(a);
      assertThat(bodies(gw, 20)).containsOnly("200 b");
      assertThat(proxied(a)).isZero();

      aHealth.set(200);
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> bodies(gw, 6).contains("200 a"));
    }
  }

  @Test
  void deadEndpointLeavesRotationAndReturnsAfterItIsRestarted() throws Exception {
    AtomicInteger ok = new AtomicInteger(200);
    AtomicInteger health = new AtomicInteger(200);
    TestUpstream a = serving("a", ok, health);
    int aPort = a.port();
    try (TestUpstream b = serving("b", ok, health);
        GatewayFixture gw = GatewayFixture.start(withListener(healthChecked(a, b)))) {
      a.close();
      // Until the next check, requests to a fail; after it, none is sent there.
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> bodies(gw, 6).stream().allMatch("200 b"::equals));
      assertThat(bodies(gw, 20)).containsOnly("200 b");

      try (TestUpstream back = TestUpstream.startOnPort("a", aPort, (req, ex) -> {
            if (req.target().equals("/healthz")) {
              ex.respond(200, Map.of(), "health");
            } else {
              ex.respond(200, Map.of(), "a");
            }
          })) {
        await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> bodies(gw, 6).contains("200 a"));
      }
    } finally {
      a.close();
    }
  }

  @Test
  void everyEndpointUnhealthyAnswers503NoHealthyUpstream() throws Exception {
    AtomicInteger ok = new AtomicInteger(200);
    AtomicInteger health = new AtomicInteger(500);
    try (TestUpstream a = serving("a", ok, health);
        TestUpstream b = serving("b", ok, health);
        GatewayFixture gw = GatewayFixture.start(withListener(healthChecked(a, b)))) {
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> get(gw, "/x").status() == 503);
      RawConnection.Response r = get(gw, "/x");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.header("x-sluice-reason")).isEqualTo("no_healthy_upstream");
      assertThat(r.body()).isEqualTo(
          "{\"status\":503,\"reason\":\"no_healthy_upstream\",\"message\":\"no endpoint of upstream backend is available\"}\n");
      proxied(a);
      proxied(b);
      assertThat(get(gw, "/y").status()).isEqualTo(503);
      assertThat(proxied(a) + proxied(b)).isZero();
      // One endpoint recovers: traffic resumes on it alone.
      health.set(200);
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> get(gw, "/z").status() == 200);
    }
  }

  @Test
  void consecutive5xxEjectEndpointFromEveryBalancerAndItReturnsAfterTheEjection() throws Exception {
    AtomicInteger aStatus = new AtomicInteger(500);
    AtomicInteger bStatus = new AtomicInteger(200);
    AtomicInteger health = new AtomicInteger(200);
    try (TestUpstream a = serving("a", aStatus, health);
        TestUpstream b = serving("b", bStatus, health);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}, {address: "%s"}]
              outlierDetection: {consecutive5xx: 3, baseEjectionTime: 1s, maxEjectionPercent: 50}
            """.formatted(a.address(), b.address())) + route("all", "  upstream: backend")))) {
      // One connection, so one round-robin balancer: a gets every other request until its third 5xx.
      List<String> first = bodies(gw, 6);
      assertThat(first).containsExactlyInAnyOrder("500 a", "500 a", "500 a", "200 b", "200 b", "200 b");
      assertThat(proxied(a)).isEqualTo(3);
      // Ejected: on every connection (so every loop's balancer), only b answers.
      for (int k = 0; k < 4; k++) assertThat(bodies(gw, 5)).containsOnly("200 b");
      assertThat(proxied(a)).isZero();
      // It comes back by itself when the ejection ends.
      aStatus.set(200);
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> bodies(gw, 4).contains("200 a"));
    }
  }

  @Test
  void consecutiveGatewayFailuresEjectAnEndpointNobodyListensOn() throws Exception {
    AtomicInteger ok = new AtomicInteger(200);
    int dead = GatewayFixture.closedPort();
    try (TestUpstream b = serving("b", ok, ok);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "127.0.0.1:%d"}, {address: "%s"}]
              outlierDetection: {consecutive5xx: 0, consecutiveGatewayFailure: 2, baseEjectionTime: 1m, maxEjectionPercent: 50}
            """.formatted(dead, b.address())) + route("all", "  upstream: backend")))) {
      // A gateway failure closes the client connection, so each request goes on a new one.
      int failures = 0;
      for (int i = 0; i < 40 && failures < 2; i++) {
        RawConnection.Response r = get(gw, "/r/" + i);
        if (r.status() == 502) {
          assertThat(r.header("x-sluice-reason")).isEqualTo("upstream_connect_failure");
          failures++;
        } else {
          assertThat(r.body()).isEqualTo("b");
        }
      }
      assertThat(failures).isEqualTo(2);
      for (int i = 0; i < 15; i++) {
        RawConnection.Response r = get(gw, "/after/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b");
      }
    }
  }

  @Test
  void maxEjectionPercentKeepsTheLastEndpointInRotation() throws Exception {
    AtomicInteger failing = new AtomicInteger(500);
    try (TestUpstream a = serving("a", failing, failing);
        TestUpstream b = serving("b", failing, failing);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}, {address: "%s"}]
              outlierDetection: {consecutive5xx: 2, baseEjectionTime: 1m, maxEjectionPercent: 50}
            """.formatted(a.address(), b.address())) + route("all", "  upstream: backend")))) {
      // Both fail; only one of the two may be ejected, so requests keep reaching the other.
      for (int k = 0; k < 3; k++) assertThat(bodies(gw, 6)).allMatch(s -> s.startsWith("500 "));
    }
  }
}
