package io.sluice.proxy.filter;

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
 * Filters' calls to Upstreams ({@code Exchange.upstreams()}) through the real proxy: the data
 * plane's pools, balancer, health checks, retry policy, timeouts and breakers apply to them. The
 * {@code test-call} filter ({@link CallFilter}) turns each call's reply or failure into the
 * client's response.
 */
class UpstreamCallsTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  /** A listener, an Upstream "app" for the route (never reached: the filter answers), Upstream "auth" with {@code auth}, and a route calling it. */
  private static GatewayFixture gateway(String auth, String filterConfig) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: app}
        spec:
          endpoints: [{address: "127.0.0.1:%d"}]
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: auth}
        spec:
        %s
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: calling}
        spec:
          upstream: app
          filters:
            - kind: test-call
              config: {upstream: auth%s}
        """.formatted(0, GatewayFixture.closedPort(), auth.stripTrailing(), filterConfig));
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

  private static String error(int status, String reason, String message) {
    return "{\"status\":" + status + ",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\"}\n";
  }

  @Test
  void callSendsTheRequestOnAPooledConnectionAndReturnsStatusHeadersBodyAndTrailers() throws Exception {
    try (TestUpstream auth = TestUpstream.start("auth", (req, ex) -> ex.raw("HTTP/1.1 201 Created\r\nX-Answer: yes\r\n"
            + "Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n"));
        GatewayFixture gw = gateway("  endpoints: [{address: \"" + auth.address() + "\"}]", "");
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 2; i++) {
        RawConnection.Response r = get(c, "/check/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-call-status")).isEqualTo("201");
        assertThat(r.header("x-call-answer")).isEqualTo("yes");
        assertThat(r.header("x-call-trailer")).isEqualTo("abc");
        assertThat(r.body()).isEqualTo("hello world");
        TestUpstream.Received got = auth.take();
        assertThat(got.method()).isEqualTo("POST");
        assertThat(got.target()).isEqualTo("/check/" + i);
        assertThat(got.header("Host")).isEqualTo(auth.address());
        assertThat(got.header("X-Caller")).isEqualTo("calling");
        assertThat(got.header("Content-Type")).isEqualTo("text/plain");
        assertThat(got.bodyText()).isEqualTo("/check/" + i);
      }
      // The second call went on the loop's pooled connection.
      assertThat(auth.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void callGoesOnlyToEndpointsTheHealthCheckKeepsInRotation() throws Exception {
    int dead = GatewayFixture.closedPort();
    try (TestUpstream alive = TestUpstream.start("alive", (req, ex) -> ex.respond(200, Map.of(), "alive"));
        GatewayFixture gw = gateway("""
              endpoints: [{address: "127.0.0.1:%d"}, {address: "%s"}]
              healthCheck: {path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 1, unhealthyThreshold: 1}
            """.formatted(dead, alive.address()), "")) {
      // Once the checker has taken the dead endpoint out, every call reaches the live one; no retry policy is involved.
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> {
        for (int i = 0; i < 6; i++) {
          if (!"alive".equals(get(gw, "/c/" + i).body())) return false;
        }
        return true;
      });
      for (int i = 0; i < 10; i++) {
        RawConnection.Response r = get(gw, "/after/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-call-status")).isEqualTo("200");
        assertThat(r.body()).isEqualTo("alive");
      }
    }
  }

  @Test
  void deadEndpointIsRetriedOnTheOtherAsTheUpstreamsRetryPolicySays() throws Exception {
    int dead = GatewayFixture.closedPort();
    try (TestUpstream alive = TestUpstream.start("alive", (req, ex) -> ex.respond(200, Map.of(), "alive"));
        GatewayFixture retrying = gateway("""
              endpoints: [{address: "127.0.0.1:%d"}, {address: "%s"}]
              retries: {attempts: 2, retryOn: [connect-failure], backoff: {base: 1ms, max: 5ms}}
            """.formatted(dead, alive.address()), "");
        GatewayFixture notRetrying = gateway("""
              endpoints: [{address: "127.0.0.1:%d"}, {address: "%s"}]
            """.formatted(dead, alive.address()), "");
        RawConnection c = RawConnection.open(retrying.port());
        RawConnection d = RawConnection.open(notRetrying.port())) {
      // One connection, one loop, a round-robin balancer: half the first attempts go to the dead endpoint.
      for (int i = 0; i < 6; i++) {
        RawConnection.Response r = get(c, "/r/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("alive");
      }
      assertThat(alive.received()).hasSize(6);
      List<Integer> statuses = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        RawConnection.Response r = get(d, "/n/" + i);
        statuses.add(r.status());
        if (r.status() != 200) reasons.add(r.header("x-sluice-reason"));
      }
      // Without a policy each call makes one attempt: those that met the dead endpoint failed.
      assertThat(statuses).containsOnly(200, 502).contains(200, 502);
      assertThat(reasons).containsOnly("call_connect_failure");
    }
  }

  @Test
  void upstreamsResponseTimeoutFailsTheCall() throws Exception {
    try (TestUpstream slow = TestUpstream.start("slow", (req, ex) -> {
          try {
            Thread.sleep(3000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        GatewayFixture gw = gateway("""
              endpoints: [{address: "%s"}]
              timeouts: {response: 200ms}
            """.formatted(slow.address()), "")) {
      long start = System.nanoTime();
      RawConnection.Response r = get(gw, "/slow");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("call_timeout");
      assertThat(r.header("content-type")).isEqualTo("application/json");
      assertThat(r.body()).isEqualTo(error(504, "call_timeout",
          "Upstream auth: no response from " + slow.address() + " within 200ms"));
    }
  }

  @Test
  void callsOwnTimeoutBoundsTheCall() throws Exception {
    try (TestUpstream slow = TestUpstream.start("slow", (req, ex) -> {
          try {
            Thread.sleep(3000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        GatewayFixture gw = gateway("  endpoints: [{address: \"" + slow.address() + "\"}]", ", timeout: 300ms")) {
      RawConnection.Response r = get(gw, "/slow");
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("call_timeout");
      assertThat(r.body()).isEqualTo(error(504, "call_timeout", "no response from Upstream auth within the call's timeout of 300ms"));
    }
  }

  @Test
  void openBreakerFailsTheCallWithoutReachingTheUpstream() throws Exception {
    AtomicInteger status = new AtomicInteger(500);
    try (TestUpstream auth = TestUpstream.start("auth", (req, ex) -> ex.respond(status.get(), Map.of(), "no"));
        GatewayFixture gw = gateway("""
              endpoints: [{address: "%s"}]
              circuitBreaker:
                upstream: {failureRateThreshold: 50, minimumCalls: 4, slidingWindow: {type: count, size: 4}, waitInOpen: 30s, halfOpenCalls: 1}
            """.formatted(auth.address()), "")) {
      // A 500 is a reply (the filter decides what it means), and a failure for the breaker.
      for (int i = 0; i < 4; i++) {
        RawConnection.Response r = get(gw, "/f/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-call-status")).isEqualTo("500");
        assertThat(r.body()).isEqualTo("no");
      }
      assertThat(auth.received()).hasSize(4);
      RawConnection.Response r = get(gw, "/open");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.header("x-sluice-reason")).isEqualTo("call_circuit_open");
      assertThat(r.body()).isEqualTo(error(503, "call_circuit_open", "the circuit breaker of Upstream auth is open"));
      assertThat(auth.received()).hasSize(4);
    }
  }

  @Test
  void responseBodyOverTheCallsLimitFailsTheCall() throws Exception {
    try (TestUpstream auth = TestUpstream.start("auth", (req, ex) -> {
          if (req.target().startsWith("/chunked")) {
            ex.respondChunked(200, Map.of(), List.of("0123456789", "0123456789"));
          } else {
            ex.respond(200, Map.of(), "0123456789".repeat(2));
          }
        });
        GatewayFixture gw = gateway("  endpoints: [{address: \"" + auth.address() + "\"}]", ", maxResponseBody: 16B");
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/length");
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-sluice-reason")).isEqualTo("call_body_too_large");
      assertThat(r.body()).isEqualTo(error(502, "call_body_too_large",
          "the response of Upstream auth has a body of 20 bytes, more than the call's limit of 16"));
      RawConnection.Response chunked = get(c, "/chunked");
      assertThat(chunked.status()).isEqualTo(502);
      assertThat(chunked.header("x-sluice-reason")).isEqualTo("call_body_too_large");
      assertThat(chunked.body()).isEqualTo(error(502, "call_body_too_large",
          "the response body of Upstream auth is longer than the call's limit of 16 bytes"));
    }
  }
}
