package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful GOAWAY: on shutdown and when a reload removes the listener, streams in flight finish and new ones go elsewhere. */
class Http2DrainTest {
  @Test
  void shutdownSendsGoAwayAtOnceAndLetsTheStreamInFlightFinish() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, Map.of(), "finished " + req.target());
        })) {
      GatewayFixture gw = GatewayFixture.start(H2Fixture.plain(0, up.address(), "timeouts: {drain: 10s}"));
      CompletableFuture<Void> closing;
      try (RawH2 c = RawH2.connect(gw.port(), 0)) {
        c.request(1, true, "GET", "/slow");
        assertThat(up.take().target()).isEqualTo("/slow");
        closing = CompletableFuture.runAsync(() -> {
          try {
            gw.close();
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
        // GOAWAY comes while the stream is still waiting for its upstream, naming it as one that will be served.
        RawH2.Frame goAway = c.until(RawH2.GOAWAY, Duration.ofSeconds(5));
        assertThat(goAway).as("GOAWAY").isNotNull();
        assertThat(goAway.errorCode()).isZero();
        assertThat(goAway.lastStreamId()).isGreaterThanOrEqualTo(1);
        release.countDown();
        RawH2.Response r = c.response(1, Duration.ofSeconds(10));
        assertThat(r.status()).isEqualTo("200");
        assertThat(r.body()).isEqualTo("finished /slow");
        assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
      }
      closing.get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void aReloadThatRemovesTheListenerSendsGoAwayAndTheStreamInFlightFinishes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, Map.of(), "finished " + req.target());
        });
        GatewayFixture gw = GatewayFixture.start(H2Fixture.plain(0, up.address(), "timeouts: {drain: 10s}"))) {
      try (RawH2 c = RawH2.connect(gw.port(), 0)) {
        c.request(1, true, "GET", "/slow");
        assertThat(up.take().target()).isEqualTo("/slow");
        gw.reload("""
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: other}
            spec:
              address: 127.0.0.1:%d
            """.formatted(0));
        RawH2.Frame goAway = c.until(RawH2.GOAWAY, Duration.ofSeconds(5));
        assertThat(goAway).as("GOAWAY").isNotNull();
        assertThat(goAway.errorCode()).isZero();
        release.countDown();
        RawH2.Response r = c.response(1, Duration.ofSeconds(10));
        assertThat(r.status()).isEqualTo("200");
        assertThat(r.body()).isEqualTo("finished /slow");
        assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
      }
    }
  }
}
