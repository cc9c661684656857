package io.sluice.proxy.resilience;

import static io.sluice.proxy.resilience.Configs.route;
import static io.sluice.proxy.resilience.Configs.upstream;
import static io.sluice.proxy.resilience.Configs.withListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A route's own timeouts: the per-attempt response timeout and the whole-request timeout. */
class RouteTimeoutsTest {
  private static TestUpstream sleeping(String name, long millis) throws IOException {
    return TestUpstream.start(name, (req, ex) -> {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.respond(200, Map.of(), name);
    });
  }

  private static RawConnection.Response get(GatewayFixture gw, String target) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET " + target + " HTTP/1.1\r\nHost: shop\r\n\r\n");
      return c.readResponse();
    }
  }

  @Test
  void routeUpstreamResponseTimeoutReplacesTheUpstreams() throws Exception {
    try (TestUpstream slow = sleeping("slow", 2000);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}]
              timeouts: {response: 30s}
            """.formatted(slow.address()))
            + route("short", "  match: {path: {prefix: /short}}\n  upstream: backend\n  timeouts: {upstreamResponse: 200ms}")))) {
      RawConnection.Response r = get(gw, "/short");
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("upstream_response_timeout");
      assertThat(r.body()).isEqualTo("{\"status\":504,\"reason\":\"upstream_response_timeout\",\"message\":\"no response from "
          + slow.address() + " within 200ms\"}\n");
    }
  }

  @Test
  void routeRequestTimeoutCoversEveryAttempt() throws Exception {
    try (TestUpstream a = sleeping("a", 3000);
        TestUpstream b = sleeping("b", 3000);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}, {address: "%s"}]
              timeouts: {response: 250ms}
              retries: {attempts: 5, retryOn: [timeout], backoff: {base: 1ms, max: 5ms}}
            """.formatted(a.address(), b.address()))
            + route("all", "  upstream: backend\n  timeouts: {request: 600ms}")))) {
      RawConnection.Response r = get(gw, "/slow");
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("upstream_request_timeout");
      assertThat(r.body()).isEqualTo("{\"status\":504,\"reason\":\"upstream_request_timeout\",\"message\":\"no response from "
          + "upstream backend within the route's request timeout of 600ms\"}\n");
      // Several attempts were made, but fewer than the policy allows: the request timeout ended them.
      assertThat(a.received().size() + b.received().size()).isBetween(2, 4);
    }
  }

  @Test
  void responseWithinTheRequestTimeoutIsForwarded() throws Exception {
    try (TestUpstream quick = sleeping("quick", 0);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", "  endpoints: [{address: \"" + quick.address() + "\"}]")
            + route("all", "  upstream: backend\n  timeouts: {request: 5s, upstreamResponse: 5s}")))) {
      for (int i = 0; i < 3; i++) {
        RawConnection.Response r = get(gw, "/q");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("quick");
      }
    }
  }
}
