package io.sluice.filters.fault;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FaultFilterTest {
  private static GatewayFixture gateway(TestUpstream up, String config) throws Exception {
    return Gateways.withRoute(up.address(), "filters: [{kind: fault, config: " + config + "}]");
  }

  /** Sends {@code n} GETs over the fixture's keep-alive client, one after another; returns the statuses. */
  private static List<Integer> statuses(GatewayFixture gw, int n) throws Exception {
    List<Integer> statuses = new ArrayList<>(n);
    for (int i = 0; i < n; i++) statuses.add(gw.get(gw.port(), "/n/" + i).statusCode());
    return statuses;
  }

  @Test
  void anAbortAtHundredPercentAnswersTheConfiguredResponseAndTheUpstreamGetsNothing() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{abort: {status: 503, body: injected, headers: {Retry-After: \"1\"}}}")) {
      for (int i = 0; i < 3; i++) {
        RawConnection.Response r = get(gw, "/orders");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
        assertThat(r.headers()).containsExactly(
            Map.entry("Retry-After", "1"),
            Map.entry("Content-Type", "text/plain; charset=utf-8"),
            Map.entry("Content-Length", "8"));
        assertThat(r.body()).isEqualTo("injected");
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void anAbortWithoutABodyAnswersTheGatewaysErrorFormat() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{abort: {status: 500}}")) {
      RawConnection.Response r = get(gw, "/");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.headers()).containsExactly(
          Map.entry("Content-Type", "application/json"),
          Map.entry("X-Sluice-Reason", "fault_injected"),
          Map.entry("Content-Length", "83"));
      assertThat(r.body()).isEqualTo("{\"status\":500,\"reason\":\"fault_injected\",\"message\":\"fault injected by the gateway\"}\n");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void anAbortAtZeroPercentNeverAborts() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{abort: {status: 503, percentage: 0}}")) {
      assertThat(statuses(gw, 200)).containsOnly(200);
      assertThat(up.received()).hasSize(200);
    }
  }

  @Test
  void anAbortPercentageAbortsThatShareOfManyRequests() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{abort: {status: 503, percentage: 25}}")) {
      List<Integer> statuses = statuses(gw, 400);
      long aborted = statuses.stream().filter(s -> s == 503).count();
      // Binomial(400, 0.25): mean 100, standard deviation 8.7; 60..140 is over 4.5 deviations each way,
      // and ignoring the percentage gives 0 or 400.
      assertThat(aborted).isBetween(60L, 140L);
      assertThat(statuses).containsOnly(200, 503);
      assertThat(up.received()).hasSize(400 - (int) aborted);
    }
  }

  @Test
  void onlyRequestsCarryingTheHeaderAreFaulted() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{header: X-Fault, abort: {status: 418}}")) {
      RawConnection.Response plain = get(gw, "/a");
      assertThat(plain.status()).isEqualTo(200);
      assertThat(plain.body()).isEqualTo("ok");
      assertThat(up.take().target()).isEqualTo("/a");
      assertThat(get(gw, "/b", "x-fault: yes").status()).isEqualTo(418);
      assertThat(get(gw, "/c", "X-Fault: ").status()).isEqualTo(418);
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aDelayHoldsTheRequestAtLeastItsDurationThenItGoesOn() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{delay: {duration: 400ms}}")) {
      for (int i = 0; i < 2; i++) {
        long start = System.nanoTime();
        RawConnection.Response r = get(gw, "/slow");
        long took = System.nanoTime() - start;
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        // A lower bound only: a delay can come late on a busy machine, never early.
        assertThat(Duration.ofNanos(took)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(up.take().target()).isEqualTo("/slow");
      }
    }
  }

  @Test
  void aDelayedRequestCanBeAbortedAfterTheDelay() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{delay: {duration: 300ms}, abort: {status: 504, body: late}}")) {
      long start = System.nanoTime();
      RawConnection.Response r = get(gw, "/");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.body()).isEqualTo("late");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aDelayAtZeroPercentNeverHoldsARequest() throws Exception {
    // An hour-long delay: any delayed request would time out the client (20 s) and fail the test.
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{delay: {duration: 1h, percentage: 0}}")) {
      assertThat(statuses(gw, 100)).containsOnly(200);
      assertThat(up.received()).hasSize(100);
    }
  }

  @Test
  void aDelayPercentageDelaysThatShareOfRequests() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{delay: {duration: 3s, percentage: 50}}")) {
      int n = 40;
      List<CompletableFuture<Long>> took = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/p/" + i))
            .timeout(Duration.ofSeconds(30)).build();
        long start = System.nanoTime();
        took.add(gw.client().sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
          assertThat(r.statusCode()).isEqualTo(200);
          return System.nanoTime() - start;
        }));
      }
      long delayed = 0;
      for (CompletableFuture<Long> t : took) {
        if (t.get() >= Duration.ofSeconds(3).toNanos()) delayed++;
      }
      // Binomial(40, 0.5): 8..32 is 3.8 deviations each way; ignoring the percentage gives 0 or 40.
      assertThat(delayed).isBetween(8L, 32L);
      assertThat(up.received()).hasSize(n);
    }
  }

  @Test
  void badConfigsAreRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: fault}
        - {kind: fault, config: {delay: {percentage: 101}, abort: {status: 99, percentage: -1}}}
        - {kind: fault, config: {delay: {duration: 0s}, abort: {status: 204, body: x}, header: "a b"}}
        - {kind: fault, config: {abort: {status: 503, contentType: text/plain, headers: {Content-Length: "3"}}}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config: no fault; expected delay, abort or both",
        "Route/r: spec.filters[1].config.delay.duration: missing; expected a duration such as 2s",
        "Route/r: spec.filters[1].config.delay.percentage: expected 0 to 100, got 101.0",
        "Route/r: spec.filters[1].config.abort.percentage: expected 0 to 100, got -1.0",
        "Route/r: spec.filters[1].config.abort.status: expected 200 to 599, got 99",
        "Route/r: spec.filters[2].config.header: invalid header name 'a b': expected a token such as x-api-key",
        "Route/r: spec.filters[2].config.delay.duration: expected a duration above zero, got PT0S",
        "Route/r: spec.filters[2].config.abort.body: a 204 response has no body",
        "Route/r: spec.filters[3].config.abort.contentType: set without a body",
        "Route/r: spec.filters[3].config.abort.headers.Content-Length: header Content-Length frames the message and is "
            + "written by the gateway; filters cannot set or remove it");
  }
}
