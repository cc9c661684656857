package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxySmokeTest {
  @Test
  void proxiesGetAndReusesTheUpstreamConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respond(200, Map.of("X-Up", "a"), "hello " + req.target()));
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()))) {
      int port = gw.gateway().boundAddress("main").getPort();
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = gw.get(port, "/x/" + i + "?q=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello /x/" + i + "?q=1");
        assertThat(r.headers().firstValue("x-up")).hasValue("a");
      }
      TestUpstream.Received first = up.take();
      assertThat(first.header("x-forwarded-for")).isEqualTo("127.0.0.1");
      assertThat(first.header("x-forwarded-proto")).isEqualTo("http");
      assertThat(first.header("host")).isEqualTo("127.0.0.1:" + port);
      assertThat(first.header("x-request-id")).hasSize(32);
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respond(200, Map.of(), req.target()));
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()))) {
      int port = gw.gateway().boundAddress("main").getPort();
      try (RawConnection c = RawConnection.open(port)) {
        c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nPOST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
        assertThat(c.readResponse().body()).isEqualTo("/1");
        assertThat(c.readResponse().body()).isEqualTo("/2");
        assertThat(c.readResponse().body()).isEqualTo("/3");
      }
    }
  }

  @Test
  void answersAClientThatHalfClosesAfterItsRequestThenCloses() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respond(200, Map.of(), "done " + req.target()));
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /half HTTP/1.1\r\nHost: a\r\n\r\n");
        c.socket().shutdownOutput();
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("done /half");
        assertThat(c.closedByPeer(java.time.Duration.ofSeconds(5))).isTrue();
      }
    }
  }
}
