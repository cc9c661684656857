package io.sluice.filters.concurrencylimit;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitFilterTest {
  @Test
  void refusesTheRequestOverTheLimitAtOnceAndFreesSlotsWhenResponsesComplete() throws Exception {
    Semaphore arrived = new Semaphore(0);
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("slow", (req, ex) -> {
          arrived.release();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, Map.of(), "done");
        });
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: concurrency-limit, config: {max: 2}}]");
        RawConnection a = RawConnection.open(gw.port());
        RawConnection b = RawConnection.open(gw.port())) {
      a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(arrived.tryAcquire(2, 10, TimeUnit.SECONDS)).isTrue();
      RawConnection.Response third = get(gw, "/c");
      assertThat(third.status()).isEqualTo(503);
      assertThat(third.header("x-sluice-reason")).isEqualTo("concurrency_limit_exceeded");
      assertThat(third.body()).isEqualTo("{\"status\":503,\"reason\":\"concurrency_limit_exceeded\","
          + "\"message\":\"more than 2 requests in flight on this route\"}\n");
      release.countDown();
      assertThat(a.readResponse().body()).isEqualTo("done");
      assertThat(b.readResponse().body()).isEqualTo("done");
      assertThat(get(gw, "/d").status()).isEqualTo(200);
      assertThat(get(gw, "/e").status()).isEqualTo(200);
      assertThat(up.received()).hasSize(4);
    }
  }

  @Test
  void slotsAreFreedWhenTheUpstreamFailsOrTheClientGoesAway() throws Exception {
    CountDownLatch hang = new CountDownLatch(1);
    Semaphore arrived = new Semaphore(0);
    try (TestUpstream up = TestUpstream.start("flaky", (req, ex) -> {
          switch (req.target()) {
            case "/reset" -> ex.reset();
            case "/hang" -> {
              arrived.release();
              try {
                hang.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              ex.close();
            }
            default -> ex.respond(200, Map.of(), "ok");
          }
        });
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: concurrency-limit, config: {max: 1, status: 429}}]")) {
      assertThat(get(gw, "/reset").status()).isEqualTo(502);
      assertThat(get(gw, "/ok").status()).isEqualTo(200);
      // A slot is released when its exchange ends, just after the response's last bytes are
      // flushed; the next request, on another event loop, can arrive in between and get 429.
      RawConnection c = null;
      for (int i = 0; i < 5 && c == null; i++) {
        RawConnection attempt = RawConnection.open(gw.port());
        attempt.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
        if (arrived.tryAcquire(2, TimeUnit.SECONDS)) {
          c = attempt;
        } else {
          assertThat(attempt.readResponse().status()).isEqualTo(429);
          attempt.close();
        }
      }
      assertThat(c).as("/hang reached the upstream").isNotNull();
      try (RawConnection hanging = c) {
        RawConnection.Response busy = get(gw, "/ok");
        assertThat(busy.status()).isEqualTo(429);
        assertThat(busy.statusLine()).isEqualTo("HTTP/1.1 429 Too Many Requests");
      }
      // the client went away: its slot comes back
      await().atMost(Duration.ofSeconds(10)).until(() -> get(gw, "/ok").status() == 200);
      hang.countDown();
    }
  }

  @Test
  void badSettingsAreRefused() throws Exception {
    assertThat(Configs.routeErrors("- {kind: concurrency-limit}\n- {kind: concurrency-limit, config: {max: -1, status: 500}}\n"))
        .containsExactly(
            "Route/r: spec.filters[0].config.max: missing; expected the most requests in flight, at least 1",
            "Route/r: spec.filters[1].config.max: expected at least 1, got -1",
            "Route/r: spec.filters[1].config.status: expected 503 or 429, got 500");
  }
}
