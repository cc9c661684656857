package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the client gets when the upstream fails (status, JSON body and X-Sluice-Reason, exactly),
 * and how upstream connections are reused, replaced and retried.
 */
class ErrorsTest {
  /** A gateway over one endpoint with the given upstream timeouts and pool settings. */
  private static GatewayFixture gateway(String endpoint, String timeouts, String pool) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {%s}
          pool: {%s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(0, endpoint, timeouts, pool));
  }

  private static GatewayFixture gateway(String endpoint) throws Exception {
    return gateway(endpoint, "connect: 2s, response: 5s", "");
  }

  private static RawConnection.Response get(GatewayFixture gw, String target) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
      return c.readResponse();
    }
  }

  private static String json(int status, String reason, String message) {
    return "{\"status\":" + status + ",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\"}\n";
  }

  private static void assertGatewayError(RawConnection.Response r, int status, String reason) {
    assertThat(r.status()).isEqualTo(status);
    assertThat(r.header("x-sluice-reason")).isEqualTo(reason);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.header("content-length")).isEqualTo(String.valueOf(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
  }

  @Test
  void nothingListeningIs502ConnectFailure() throws Exception {
    int port = GatewayFixture.closedPort();
    try (GatewayFixture gw = gateway("127.0.0.1:" + port)) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_connect_failure");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 502 Bad Gateway");
      assertThat(r.body()).matches(
          "\\{\"status\":502,\"reason\":\"upstream_connect_failure\",\"message\":\"cannot connect to 127\\.0\\.0\\.1:" + port
              + ": .*[Cc]onnection refused.*\"}\n");
    }
  }

  @Test
  void upstreamResettingTheConnectionIs502Reset() throws Exception {
    try (TestUpstream up = TestUpstream.start("rst", (req, ex) -> ex.reset());
        GatewayFixture gw = gateway(up.address())) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_reset");
      assertThat(r.body()).isEqualTo(json(502, "upstream_reset",
          "upstream " + up.address() + " closed the connection before responding"));
    }
  }

  @Test
  void upstreamClosingWithoutAnAnswerIs502Reset() throws Exception {
    try (TestUpstream up = TestUpstream.start("fin", (req, ex) -> ex.close());
        GatewayFixture gw = gateway(up.address())) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_reset");
      assertThat(r.body()).isEqualTo(json(502, "upstream_reset",
          "upstream " + up.address() + " closed the connection before responding"));
    }
  }

  @Test
  void upstreamSendingGarbageIs502ProtocolError() throws Exception {
    try (TestUpstream up = TestUpstream.start("junk", (req, ex) -> ex.raw("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
        GatewayFixture gw = gateway(up.address())) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_protocol_error");
      assertThat(r.body()).isEqualTo(json(502, "upstream_protocol_error", "invalid status line"));
    }
  }

  @Test
  void upstreamWithAnInvalidHeaderIs502ProtocolError() throws Exception {
    try (TestUpstream up = TestUpstream.start("junk", (req, ex) -> ex.raw("HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n"));
        GatewayFixture gw = gateway(up.address())) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_protocol_error");
      assertThat(r.body()).isEqualTo(json(502, "upstream_protocol_error", "invalid header field name in response"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"999 Weird", "600 High", "099 Low"})
  void upstreamStatusOutside100To599Is502ProtocolErrorAndItsConnectionIsClosed(String statusAndReason) throws Exception {
    String code = statusAndReason.substring(0, 3);
    try (TestUpstream up = TestUpstream.start("odd-status", (req, ex) -> ex.raw("HTTP/1.1 " + statusAndReason + "\r\nContent-Length: 2\r\n\r\nok"));
        GatewayFixture gw = gateway(up.address())) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_protocol_error");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 502 Bad Gateway");
      assertThat(r.body()).isEqualTo(json(502, "upstream_protocol_error", "status code " + code + " outside 100-599"));
      // The connection is not pooled: its framing cannot be trusted after a broken response.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> up.openConnections() == 0);
      assertThat(get(gw, "/").status()).isEqualTo(502);
      assertThat(up.connectionsAccepted()).isEqualTo(2);
    }
  }

  @Test
  void upstreamTooSlowToAnswerIs504ResponseTimeout() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("slow", (req, ex) -> {
          await(release);
          ex.respond(200, Map.of(), "late");
        });
        GatewayFixture gw = gateway(up.address(), "connect: 2s, response: 500ms", "")) {
      long start = System.nanoTime();
      RawConnection.Response r = get(gw, "/");
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      release.countDown();
      assertGatewayError(r, 504, "upstream_response_timeout");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 504 Gateway Timeout");
      assertThat(r.body()).isEqualTo(json(504, "upstream_response_timeout",
          "no response from " + up.address() + " within 500ms"));
      assertThat(tookMs).isBetween(450L, 4000L);
    }
  }

  @Test
  void theResponseTimeoutCoversTheHeadNotASlowBody() throws Exception {
    try (TestUpstream up = TestUpstream.start("trickle", (req, ex) -> {
          ex.raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst");
          sleep(1200);
          ex.raw("-last");
        });
        GatewayFixture gw = gateway(up.address(), "response: 500ms", "")) {
      RawConnection.Response r = get(gw, "/");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("first-last");
    }
  }

  @Test
  void theResponseTimeoutAppliesToEachRequestOnAReusedConnection() throws Exception {
    AtomicInteger n = new AtomicInteger();
    try (TestUpstream up = TestUpstream.start("s", (req, ex) -> {
          if (n.incrementAndGet() == 3) sleep(1500);
          ex.respond(200, Map.of(), "ok");
        });
        GatewayFixture gw = gateway(up.address(), "response: 500ms", "");
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 2; i++) {
        sleep(300); // together longer than the timeout: each request gets its own
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assertGatewayError(c.readResponse(), 504, "upstream_response_timeout");
    }
  }

  @Test
  void unreachableEndpointIs504ConnectTimeout() throws Exception {
    // A listening socket that never accepts, with its accept queue full: Linux drops further SYNs,
    // so a connect neither succeeds nor fails until it times out.
    try (ServerSocket blackhole = new ServerSocket()) {
      blackhole.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
      List<Socket> fillers = new ArrayList<>();
      boolean full = false;
      try {
        for (int i = 0; i < 16 && !full; i++) {
          Socket s = new Socket();
          try {
            s.connect(blackhole.getLocalSocketAddress(), 300);
            fillers.add(s);
          } catch (SocketTimeoutException e) {
            s.close();
            full = true;
          }
        }
        Assumptions.assumeTrue(full, "this system completes connections beyond the accept queue; no connect timeout to test");
        String address = "127.0.0.1:" + blackhole.getLocalPort();
        try (GatewayFixture gw = gateway(address, "connect: 300ms, response: 5s", "")) {
          RawConnection.Response r = get(gw, "/");
          assertGatewayError(r, 504, "upstream_connect_timeout");
          assertThat(r.body()).startsWith("{\"status\":504,\"reason\":\"upstream_connect_timeout\",\"message\":\"cannot connect to "
              + address + ": ");
        }
      } finally {
        for (Socket s : fillers) s.close();
      }
    }
  }

  @Test
  void overTheConnectionLimitIs503Overflow() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("one", (req, ex) -> {
          if (req.target().equals("/slow")) {
            arrived.countDown();
            await(release);
          }
          ex.respond(200, Map.of(), "done " + req.target());
        });
        GatewayFixture gw = gateway(up.address(), "response: 10s", "maxConnectionsPerEndpoint: 1");
        RawConnection slow = RawConnection.open(gw.port());
        RawConnection second = RawConnection.open(gw.port())) {
      slow.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
      second.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = second.readResponse();
      assertGatewayError(r, 503, "upstream_overflow");
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
      assertThat(r.body()).isEqualTo(json(503, "upstream_overflow", "connection limit reached for " + up.address()));
      release.countDown();
      assertThat(slow.readResponse().body()).isEqualTo("done /slow");
      // The slow request's connection went back to the pool; the next request on its connection reuses it.
      slow.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(slow.readResponse().body()).isEqualTo("done /again");
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    } finally {
      release.countDown();
    }
  }

  @Test
  void aFailureAfterTheResponseStartedClosesTheClientConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("cut", (req, ex) -> {
          ex.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-ten!!");
          ex.close();
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response head = c.readHeadResponse();
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("content-length")).isEqualTo("100");
      assertThat(new String(c.input().readNBytes(10))).isEqualTo("only-ten!!");
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("ka", (req, ex) -> ex.respond(200, Map.of(), "c" + req.connectionId()));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 50; i++) {
        c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("c1");
      }
      // a POST with a body, chunked and not, keeps the connection reusable too
      c.send("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
      assertThat(c.readResponse().body()).isEqualTo("c1");
      c.send("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("c1");
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void connectionCloseFromTheUpstreamMakesTheNextRequestUseANewConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("closer", (req, ex) -> {
          ex.respond(200, Map.of("Connection", "close"), "c" + req.connectionId());
          ex.close();
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 5; i++) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("c" + i);
        // the upstream's Connection: close is about the upstream hop; the client connection stays open
        assertThat(r.header("connection")).isNull();
      }
      assertThat(up.connectionsAccepted()).isEqualTo(5);
    }
  }

  @Test
  void anUpstreamThatClosesIdleConnectionsDoesNotFailTheNextRequest() throws Exception {
    try (TestUpstream up = TestUpstream.start("idle-closer", (req, ex) -> {
          ex.respond(200, Map.of(), "c" + req.connectionId());
          // keep-alive was promised, but the connection is closed right after the response
          ex.close();
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 10; i++) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("c" + up.connectionsAccepted());
        if (i % 2 == 0) sleep(50); // sometimes the close has arrived before the next request, sometimes not
      }
    }
  }

  @Test
  void aBodylessRequestOnAPooledConnectionThatTheUpstreamDropsIsRetriedOnAFreshOne() throws Exception {
    // Each connection serves one request; the next request on it is read and the connection closed
    // unanswered: the race of an upstream closing an idle connection as a request arrives.
    Map<Integer, AtomicInteger> perConnection = new ConcurrentHashMap<>();
    try (TestUpstream up = TestUpstream.start("one-shot", (req, ex) -> {
          if (perConnection.computeIfAbsent(req.connectionId(), k -> new AtomicInteger()).incrementAndGet() > 1) {
            ex.close();
          } else {
            ex.respond(200, Map.of(), req.method() + " c" + req.connectionId());
          }
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 4; i++) {
        c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("GET c" + i);
      }
      // every request after the first reached a pooled connection first, then a fresh one
      assertThat(up.connectionsAccepted()).isEqualTo(4);
      assertThat(up.received()).hasSize(7);
      List<TestUpstream.Received> all = new ArrayList<>(up.received());
      assertThat(all.get(1).target()).isEqualTo("/2");
      assertThat(all.get(2).target()).isEqualTo("/2");
      assertThat(all.get(2).header("x-request-id")).isEqualTo(all.get(1).header("x-request-id"));

      // A request with a body is not retried: the upstream may have acted on it.
      c.send("POST /5 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx");
      RawConnection.Response r = c.readResponse();
      assertGatewayError(r, 502, "upstream_reset");
      assertThat(up.connectionsAccepted()).isEqualTo(4);
    }
  }

  @Test
  void aBodylessRequestOnAPooledConnectionThatTheUpstreamResetsIsRetriedOnAFreshOne() throws Exception {
    Map<Integer, AtomicInteger> perConnection = new ConcurrentHashMap<>();
    try (TestUpstream up = TestUpstream.start("one-shot-rst", (req, ex) -> {
          if (perConnection.computeIfAbsent(req.connectionId(), k -> new AtomicInteger()).incrementAndGet() > 1) {
            ex.reset();
          } else {
            ex.respond(200, Map.of(), "c" + req.connectionId());
          }
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 4; i++) {
        c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("c" + i);
      }
      assertThat(up.connectionsAccepted()).isEqualTo(4);
    }
  }

  @Test
  void anHttp10UpstreamConnectionWithoutKeepAliveIsNotReused() throws Exception {
    try (TestUpstream up = TestUpstream.start("old", (req, ex) -> ex.raw("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 3; i++) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.body()).isEqualTo("ok");
        assertThat(up.connectionsAccepted()).isEqualTo(i);
      }
    }
  }

  @Test
  void anUpstreamConnectionWithBytesBeyondTheResponseIsNotReused() throws Exception {
    try (TestUpstream up = TestUpstream.start("extra", (req, ex) -> ex.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 3; i++) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("ok");
      }
      assertThat(up.connectionsAccepted()).isEqualTo(3);
    }
  }

  @Test
  void aResponseWithBothChunkedAndContentLengthIsReadChunkedAndItsConnectionNotReused() throws Exception {
    try (TestUpstream up = TestUpstream.start("both", (req, ex) -> ex.raw(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n"));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 1; i <= 2; i++) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.header("content-length")).isNull();
        assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(r.body()).isEqualTo("body");
      }
      assertThat(up.connectionsAccepted()).isEqualTo(2);
    }
  }

  @Test
  void anInvalidChunkAfterTheResponseStartedClosesTheClientConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("badchunk", (req, ex) -> {
          ex.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngood\r\n");
          sleep(300); // the start of the response is on its way to the client
          ex.raw("zz\r\nbad\r\n0\r\n\r\n");
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response head = c.readHeadResponse();
      assertThat(head.status()).isEqualTo(200);
      // what went out before the bad chunk size is all the client gets; the broken response is never completed
      byte[] rest = c.input().readAllBytes();
      assertThat(new String(rest, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("4\r\ngood\r\n");
    }
  }

  @Test
  void aResponseHeadBeyond64KiBIs502ProtocolError() throws Exception {
    try (TestUpstream up = TestUpstream.start("huge", (req, ex) -> ex.raw(
            "HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(70_000) + "\r\nContent-Length: 0\r\n\r\n"));
        GatewayFixture gw = gateway(up.address())) {
      RawConnection.Response r = get(gw, "/");
      assertGatewayError(r, 502, "upstream_protocol_error");
      assertThat(r.body()).isEqualTo(json(502, "upstream_protocol_error", "response head larger than 65536 bytes"));
    }
  }

  @Test
  void aClientThatLeavesMidResponseMakesTheGatewayCloseTheUpstreamConnection() throws Exception {
    CountDownLatch writeFailed = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("stream", (req, ex) -> {
          try {
            ex.respondStreaming(1L << 30);
          } catch (IOException e) {
            writeFailed.countDown();
            throw e;
          }
        });
        GatewayFixture gw = gateway(up.address())) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readHeadResponse().status()).isEqualTo(200);
        assertThat(c.input().readNBytes(100_000)).hasSize(100_000);
      }
      assertThat(writeFailed.await(10, TimeUnit.SECONDS)).as("the upstream saw its connection closed").isTrue();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> up.openConnections() == 0);
    }
  }

  @Test
  void aClientThatLeavesBeforeTheResponseMakesTheGatewayCloseTheUpstreamConnection() throws Exception {
    try (io.sluice.proxy.testing.RawUpstream up = io.sluice.proxy.testing.RawUpstream.start();
        GatewayFixture gw = gateway(up.address())) {
      RawConnection c = RawConnection.open(gw.port());
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      try (io.sluice.proxy.testing.RawUpstream.Conn u = up.accept()) {
        u.readHead();
        c.close();
        // the exchange is abandoned, and with it the upstream connection: it could only be reused
        // after reading a response nobody wants
        assertThat(u.input().read()).isEqualTo(-1);
      }
    }
  }

  @Test
  void idlePooledConnectionsAreClosedAfterThePoolIdleTimeout() throws Exception {
    try (TestUpstream up = TestUpstream.start("idle", (req, ex) -> ex.respond(200, Map.of(), "c" + req.connectionId()));
        GatewayFixture gw = gateway(up.address(), "response: 5s", "idleTimeout: 300ms")) {
      assertThat(get(gw, "/").body()).isEqualTo("c1");
      assertThat(up.openConnections()).isEqualTo(1);
      long start = System.nanoTime();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> up.openConnections() == 0);
      assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(250);
      assertThat(get(gw, "/").body()).isEqualTo("c2");
    }
  }

  private static void await(CountDownLatch l) {
    try {
      l.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
