package io.sluice.filters.bodylimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BodyLimitFilterTest {
  private static final String LIMIT = "filters: [{kind: body-limit, config: {maxSize: 1KiB}}]";

  /** A gateway whose listener streams bodies from their first byte (no request buffering). */
  private static GatewayFixture streaming(String address) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          limits: {requestBuffer: 0}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
        ---
        """.formatted(0, address) + Gateways.route("r", LIMIT));
  }

  @Test
  void aContentLengthAboveTheLimitGets413BeforeTheBodyIsRead() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = Gateways.withRoute(up.address(), LIMIT)) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        // only the head is sent: the answer comes without waiting for the body
        c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
        assertThat(r.body()).isEqualTo("{\"status\":413,\"reason\":\"request_body_too_large\",\"message\":\"request body larger than 1024 bytes\"}\n");
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void bodiesUpToTheLimitPass() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = Gateways.withRoute(up.address(), LIMIT)) {
      String body = "x".repeat(1024);
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n" + body);
        assertThat(c.readResponse().status()).isEqualTo(200);
        c.send("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + body + "\r\n0\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      assertThat(up.take().bodyLength()).isEqualTo(1024);
      TestUpstream.Received chunked = up.take();
      assertThat(chunked.bodyLength()).isEqualTo(1024);
      assertThat(chunked.header("transfer-encoding")).isEqualTo("chunked");
    }
  }

  @Test
  void aChunkedBodyIsCutOffMidStreamWith413AndTheUpstreamRequestAborted() throws Exception {
    try (RawUpstream up = RawUpstream.start(); GatewayFixture gw = streaming(up.address())) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /stream HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" + "a".repeat(512) + "\r\n");
        try (RawUpstream.Conn u = up.accept()) {
          // the head and the first 512 bytes stream through; nothing is buffered
          assertThat(u.readHead()).startsWith("POST /stream HTTP/1.1\r\n").contains("Transfer-Encoding: chunked\r\n");
          assertThat(new String(u.readN(5 + 512 + 2))).isEqualTo("200\r\n" + "a".repeat(512) + "\r\n");
          c.send("201\r\n" + "b".repeat(513) + "\r\n");
          RawConnection.Response r = c.readResponse();
          assertThat(r.status()).isEqualTo(413);
          assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
          assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
          // the upstream's request can never complete: its connection is closed
          assertThat(u.input().readAllBytes()).isEmpty();
        }
      }
    }
  }

  @Test
  void aMissingSizeIsRefused() throws Exception {
    assertThat(Configs.routeErrors("- {kind: body-limit, config: {maxSize: lots}}\n- {kind: body-limit}\n")).containsExactly(
        "Route/r: spec.filters[0].config.maxSize: expected a size such as 512, 16KiB or 10MiB, got 'lots'",
        "Route/r: spec.filters[1].config.maxSize: missing; expected a size such as 1MiB");
  }
}
