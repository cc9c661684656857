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
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Circuit breakers of an upstream and of its endpoints, through the real proxy. */
class CircuitBreakerTest {
  private static final String CIRCUIT_OPEN_BODY =
      "{\"status\":503,\"reason\":\"circuit_open\",\"message\":\"the circuit breaker of upstream backend is open\"}\n";

  /** An upstream that answers {@code status} (changeable) with its name. */
  private static TestUpstream answering(String name, AtomicInteger status) throws IOException {
    return TestUpstream.start(name, (req, ex) -> ex.respond(status.get(), Map.of("Content-Type", "text/plain"), name));
  }

  private static RawConnection.Response get(RawConnection c, String target) throws IOException {
    c.send("GET " + target + " HTTP/1.1\r\nHost: shop\r\n\r\n");
    return c.readResponse();
  }

  private static RawConnection.Response get(GatewayFixture gw, String target) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      return get(c, target);
    }
  }

  @Test
  void openUpstreamBreakerAnswers503WithoutTouchingTheUpstreamAndClosesAfterHalfOpenProbesSucceed() throws Exception {
    AtomicInteger status = new AtomicInteger(500);
    try (TestUpstream backend = answering("backend", status);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}]
              circuitBreaker:
                upstream: {failureRateThreshold: 50, minimumCalls: 4, slidingWindow: {type: count, size: 4},
                           waitInOpen: 300ms, halfOpenCalls: 2}
            """.formatted(backend.address())) + route("all", "  upstream: backend")))) {
      // Four failures fill the window: 100% failed, the breaker opens.
      for (int i = 0; i < 4; i++) {
        RawConnection.Response r = get(gw, "/fail/" + i);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("backend");
        assertThat(r.hasHeader("x-sluice-reason")).isFalse();
      }
      assertThat(backend.received()).hasSize(4);
      RawConnection.Response open = get(gw, "/refused");
      assertThat(open.status()).isEqualTo(503);
      assertThat(open.header("x-sluice-reason")).isEqualTo("circuit_open");
      assertThat(open.header("content-type")).isEqualTo("application/json");
      assertThat(open.body()).isEqualTo(CIRCUIT_OPEN_BODY);
      assertThat(backend.received()).hasSize(4);

      // The upstream recovers; after waitInOpen the breaker lets probes through, and two good
      // probes close it.
      status.set(200);
      backend.received().clear();
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
          .until(() -> get(gw, "/probe").status() == 200);
      assertThat(get(gw, "/probe").status()).isEqualTo(200);
      assertThat(backend.received()).hasSize(2);
      // Closed: failures are forwarded again until the window judges them, not refused at once.
      status.set(500);
      for (int i = 0; i < 3; i++) {
        RawConnection.Response r = get(gw, "/closed/" + i);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("backend");
      }
    }
  }

  @Test
  void halfOpenBreakerThatSeesAFailureOpensAgain() throws Exception {
    AtomicInteger status = new AtomicInteger(500);
    try (TestUpstream backend = answering("backend", status);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}]
              circuitBreaker:
                upstream: {failureRateThreshold: 50, minimumCalls: 2, slidingWindow: {size: 2}, waitInOpen: 300ms, halfOpenCalls: 1}
            """.formatted(backend.address())) + route("all", "  upstream: backend")))) {
      assertThat(get(gw, "/1").status()).isEqualTo(500);
      assertThat(get(gw, "/2").status()).isEqualTo(500);
      assertThat(get(gw, "/3").header("x-sluice-reason")).isEqualTo("circuit_open");
      backend.received().clear();
      // The probe fails: open again, and the next request is refused without reaching the upstream.
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
          .until(() -> get(gw, "/probe").header("x-sluice-reason") == null);
      assertThat(backend.received()).hasSize(1);
      RawConnection.Response r = get(gw, "/after");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.header("x-sluice-reason")).isEqualTo("circuit_open");
      assertThat(backend.received()).hasSize(1);
    }
  }

  @Test
  void openEndpointBreakerTakesTheEndpointOutOfRotationUntilItsProbeSucceeds() throws Exception {
    AtomicInteger badStatus = new AtomicInteger(503);
    AtomicInteger goodStatus = new AtomicInteger(200);
    try (TestUpstream bad = answering("bad", badStatus);
        TestUpstream good = answering("good", goodStatus);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}, {address: "%s"}]
              circuitBreaker:
                endpoint: {failureRateThreshold: 50, minimumCalls: 2, slidingWindow: {size: 2}, waitInOpen: 500ms, halfOpenCalls: 1}
            """.formatted(bad.address(), good.address())) + route("all", "  upstream: backend")));
        RawConnection c = RawConnection.open(gw.port())) {
      // One connection, one loop, one round-robin balancer: the first four requests alternate.
      int failures = 0;
      for (int i = 0; i < 4; i++) {
        if (get(c, "/warm/" + i).status() == 503) failures++;
      }
      assertThat(failures).isEqualTo(2);
      assertThat(bad.received()).hasSize(2);
      // Open: every request goes to the other endpoint, and the client never sees the gateway refuse.
      for (int i = 0; i < 10; i++) {
        RawConnection.Response r = get(c, "/rotation/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("good");
      }
      assertThat(bad.received()).hasSize(2);
      // Recovered: after waitInOpen one probe reaches it, succeeds and closes its breaker.
      badStatus.set(200);
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
          .until(() -> get(c, "/back").body().equals("bad"));
      int toBad = 0;
      for (int i = 0; i < 10; i++) {
        if (get(c, "/closed/" + i).body().equals("bad")) toBad++;
      }
      assertThat(toBad).isEqualTo(5);
    }
  }
}
