package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and malformed requests sent on raw sockets through a real gateway to a real upstream:
 * each gets the exact error, a closed connection, and nothing of it reaches the upstream.
 */
class HostileInputTest {
  private static final Map<Integer, String> PHRASES = Map.of(
      400, "Bad Request", 405, "Method Not Allowed", 408, "Request Timeout", 413, "Content Too Large", 414, "URI Too Long",
      417, "Expectation Failed", 431, "Request Header Fields Too Large", 501, "Not Implemented",
      505, "HTTP Version Not Supported");
  private static final Map<Integer, String> REASONS = Map.of(
      400, "bad_request", 405, "method_not_allowed", 408, "request_header_timeout", 413, "request_body_too_large", 414, "uri_too_long",
      417, "expectation_failed", 431, "request_header_too_large", 501, "not_implemented",
      505, "http_version_not_supported");
  private static final String PROBE = "GET /__probe HTTP/1.1\r\nHost: a\r\n\r\n";

  private static TestUpstream up;
  private static GatewayFixture gw;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("hostile", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "ok " + req.target()));
    gw = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          limits: {maxHeaderSize: 4KiB, maxUriLength: 256, maxBodySize: 1KiB, maxHeaderCount: 20}
          timeouts: {idle: 1s, headerRead: 1s}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints:
            - address: %s
          timeouts: {connect: 2s, response: 5s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: probe}
        spec:
          match:
            path: {exact: /__probe}
          directResponse: {status: 200, body: probe}
        """.formatted(0, up.address()));
    port = gw.port();
  }

  @AfterAll
  static void stop() throws IOException {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  @BeforeEach
  void forgetEarlierRequests() {
    up.received().clear();
  }

  // ---- the corpus: refused before anything is forwarded ----

  static Stream<Arguments> malformed() {
    String smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    return Stream.of(
        // request smuggling: every ambiguity in the framing is refused
        malformed("CL.TE: Content-Length and Transfer-Encoding, smuggled request after the last chunk",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + (5 + smuggled.length()) + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n" + smuggled,
            400, "both Transfer-Encoding and Content-Length"),
        malformed("TE.CL: Transfer-Encoding and Content-Length, smuggled request inside a chunk",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n",
            400, "both Transfer-Encoding and Content-Length"),
        malformed("TE.CL with an obfuscated coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n"
            + "5c\r\n" + smuggled, 400, "both Transfer-Encoding and Content-Length"),
        malformed("Transfer-Encoding with a space before the colon",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled,
            400, "invalid character in header field name"),
        malformed("Transfer-Encoding folded onto the next line",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + smuggled,
            400, "obsolete line folding or whitespace before a header field"),
        malformed("Transfer-Encoding with a vertical tab",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\u000bchunked\r\n\r\n0\r\n\r\n" + smuggled,
            400, "invalid character in header field value"),
        malformed("Transfer-Encoding chunked then identity",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + smuggled,
            400, "Transfer-Encoding does not end in chunked"),
        malformed("Transfer-Encoding in HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
            400, "Transfer-Encoding in an HTTP/1.0 request"),
        malformed("two differing Content-Length values",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: " + smuggled.length() + "\r\n\r\n" + smuggled,
            400, "differing Content-Length values"),
        malformed("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +0\r\n\r\n" + smuggled,
            400, "invalid Content-Length"),
        malformed("Content-Length in hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x0\r\n\r\n" + smuggled,
            400, "invalid Content-Length"),
        malformed("Content-Length overflowing", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
            400, "Content-Length too large"),
        malformed("bare LF ending a header field, hiding a header",
            "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nTransfer-Encoding: chunked\r\n\r\n", 400, "bare LF in request head"),
        malformed("bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare LF in request head"),
        malformed("bare CR in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rTransfer-Encoding: chunked\r\n\r\n",
            400, "bare CR in header field"),
        // header grammar
        malformed("space between field name and colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            400, "invalid character in header field name"),
        malformed("invalid character in a field name", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n",
            400, "invalid character in header field name"),
        malformed("non-ASCII field name", "GET / HTTP/1.1\r\nHost: a\r\nX-\u00e9: b\r\n\r\n",
            400, "invalid character in header field name"),
        malformed("NUL in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u0000b\r\n\r\n",
            400, "invalid character in header field value"),
        malformed("DEL in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u007fb\r\n\r\n",
            400, "invalid character in header field value"),
        malformed("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
            400, "obsolete line folding or whitespace before a header field"),
        // Host
        malformed("missing Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400, "missing Host header field"),
        malformed("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host header field"),
        malformed("invalid Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host header field"),
        malformed("Host with a bad port", "GET / HTTP/1.1\r\nHost: a:b:80\r\n\r\n", 400, "invalid port in Host header field"),
        // request line and target
        malformed("double space in the request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "empty request target"),
        malformed("missing version", "GET /\r\nHost: a\r\n\r\n", 400, "missing HTTP version"),
        malformed("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        malformed("garbage after the version", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        malformed("HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
        malformed("HTTP/3.0 request line", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
        malformed("fragment in the target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid character in request target"),
        malformed("backslash in the target", "GET /a\\..\\b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid character in request target"),
        malformed("non-ASCII in the target", "GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid character in request target"),
        malformed("relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request target must be origin-form or absolute-form"),
        malformed("asterisk-form outside OPTIONS", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "asterisk-form target outside OPTIONS"),
        malformed("bad percent-encoding in the path", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n",
            400, "invalid percent-encoding in request target"),
        malformed("CONNECT without a port", "CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
            400, "CONNECT target must be authority-form"),
        // codings and expectations
        malformed("transfer coding other than chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            501, "unsupported transfer coding"),
        malformed("chunked applied twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            501, "unsupported transfer coding"),
        malformed("unknown expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc",
            417, "unsupported expectation"),
        // limits
        malformed("header larger than maxHeaderSize", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(5000) + "\r\n\r\n",
            431, "request head larger than 4096 bytes"),
        malformed("target longer than maxUriLength", "GET /" + "u".repeat(300) + " HTTP/1.1\r\nHost: a\r\n\r\n",
            414, "request target longer than 256"),
        malformed("more header fields than maxHeaderCount", "GET / HTTP/1.1\r\nHost: a\r\n" + "X-A: b\r\n".repeat(20) + "\r\n",
            431, "more than 20 header fields"),
        malformed("Content-Length above maxBodySize", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n",
            413, "request body larger than 1024 bytes"));
  }

  private static Arguments malformed(String description, String raw, int status, String message) {
    return arguments(description, raw, status, message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusesTheMalformedRequestClosesTheConnectionAndForwardsNothing(String description, String raw, int status,
      String message) throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      c.send(raw);
      assertRefused(c, status, message);
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void refusesConnectWith405AndTunnelsNothing() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      c.send("CONNECT " + up.address() + " HTTP/1.1\r\nHost: " + up.address() + "\r\n\r\n");
      assertRefused(c, 405, "CONNECT is not supported");
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void refusesContentLengthWithTransferEncodingAndForwardsNothing() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      c.send("POST /cl-te HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG");
      assertRefused(c, 400, "both Transfer-Encoding and Content-Length");
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void refusesTransferEncodingWithContentLengthSoTheChunkedBodyCannotCarryASecondRequest() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    String inner = "POST /admin HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\nx=1";
    try (RawConnection c = RawConnection.open(port)) {
      c.send("POST /te-cl HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
          + Integer.toHexString(inner.length()) + "\r\n" + inner + "\r\n0\r\n\r\n");
      assertRefused(c, 400, "both Transfer-Encoding and Content-Length");
    }
    assertNothingForwarded(connectionsBefore);
  }

  // ---- a bad request after a good one ----

  @Test
  void answersAValidRequestThenRefusesAMalformedOneOnTheSameConnection() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response first = c.readResponse();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("ok /first");
      assertThat(first.hasHeader("connection")).isFalse();
      int connectionsAfterFirst = up.connectionsAccepted();
      c.send("GET /second HTTP/1.1\r\nHost : a\r\n\r\n");
      assertRefused(c, 400, "invalid character in header field name");
      assertThat(up.take().target()).isEqualTo("/first");
      assertNothingForwarded(connectionsAfterFirst);
    }
  }

  @Test
  void answersAPipelinedValidRequestThenRefusesTheMalformedOneBehindIt() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
      RawConnection.Response first = c.readResponse();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("ok /first");
      assertRefused(c, 400, "differing Content-Length values");
      assertThat(up.take().target()).isEqualTo("/first");
      quietly(Duration.ofMillis(100)).untilAsserted(() -> assertThat(up.received()).isEmpty());
    }
  }

  @Test
  void refusesAMalformedRequestAfterADirectResponseOnTheSameConnection() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      c.send(PROBE);
      assertThat(c.readResponse().body()).isEqualTo("probe");
      c.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
      assertRefused(c, 400, "more than one Host header field");
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void answersAHeadThatArrivesOneByteAtATime() throws Exception {
    byte[] raw = "\r\nGET /bytewise?q=1 HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    try (RawConnection c = RawConnection.open(port)) {
      for (byte b : raw) c.send(new byte[] {b});
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok /bytewise?q=1");
    }
    TestUpstream.Received got = up.take();
    assertThat(got.target()).isEqualTo("/bytewise?q=1");
    assertThat(got.header("x-a")).isEqualTo("b");
  }

  @Test
  void neverSends100ContinueToAnHttp10Client() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("POST /http10 HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc");
      RawConnection.Response r = c.readResponse();
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 X");
      assertThat(r.body()).isEqualTo("ok /http10");
    }
    TestUpstream.Received got = up.take();
    assertThat(got.bodyText()).isEqualTo("abc");
    assertThat(got.header("expect")).isNull();
  }

  @Test
  void acceptsEmptyLinesBeforeTheRequestLine() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("\r\n\r\nGET /after-empty-lines HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok /after-empty-lines");
    }
    assertThat(up.take().target()).isEqualTo("/after-empty-lines");
  }

  @Test
  void forwardsTheNormalisedPathOfATargetWithEncodedDotSegments() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("GET /public/%2e%2e/admin?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("ok /admin?x=1");
    }
    assertThat(up.take().target()).isEqualTo("/admin?x=1");
  }

  // ---- body limits ----

  @Test
  void refusesAContentLengthAboveMaxBodySizeWithoutForwardingTheBody() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      c.send("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(2000));
      assertRefused(c, 413, "request body larger than 1024 bytes");
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void refusesAChunkedBodyThatExceedsMaxBodySizeMidStreamAndTheUpstreamGetsNoCompleteRequest() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("POST /chunked-big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "300\r\n" + "x".repeat(0x300) + "\r\n"
          + "300\r\n" + "y".repeat(0x300) + "\r\n"
          + "0\r\n\r\n");
      assertRefused(c, 413, "request body larger than 1024 bytes");
    }
    quietly(Duration.ofMillis(200)).untilAsserted(() -> assertThat(up.received()).isEmpty());
  }

  @Test
  void refusesMalformedChunkFramingMidStreamAndTheUpstreamGetsNoCompleteRequest() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("POST /chunked-bad HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n" + "5\nworld\r\n0\r\n\r\n");
      assertRefused(c, 400, "invalid chunk size");
    }
    quietly(Duration.ofMillis(200)).untilAsserted(() -> assertThat(up.received()).isEmpty());
  }

  // ---- timeouts ----

  @Test
  void answers408AndClosesWhenAPartialHeadStalls() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      long start = System.nanoTime();
      c.send("GET /stalled HTTP/1.1\r\nHost: a\r\n");
      assertRefused(c, 408, "request head not received in time");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void answers408ToAClientThatTricklesItsHeadSlowerThanHeaderReadAllows() throws Exception {
    int connectionsBefore = up.connectionsAccepted();
    try (RawConnection c = RawConnection.open(port)) {
      long start = System.nanoTime();
      // One byte every 100 ms keeps the connection from ever being idle; only headerRead stops it.
      Thread trickler = Thread.ofVirtual().start(() -> {
        try {
          c.send("GET /slow-loris HTTP/1.1\r\nHost: a\r\n");
          while (true) {
            Thread.sleep(100);
            c.send("X");
          }
        } catch (IOException | InterruptedException e) {
          // the gateway closed the connection, or the test is over
        }
      });
      try {
        assertRefused(c, 408, "request head not received in time");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      } finally {
        trickler.interrupt();
        trickler.join(5000);
      }
    }
    assertNothingForwarded(connectionsBefore);
  }

  @Test
  void closesAKeepAliveConnectionAfterTheIdleTimeout() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send(PROBE);
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("probe");
      assertThat(r.hasHeader("connection")).isFalse();
      assertThat(c.closedByPeer(Duration.ofMillis(200))).as("still open right after the response").isFalse();
      long start = System.nanoTime();
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).as("closed by the gateway when idle").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void closesAConnectionThatNeverSendsAByteAfterTheIdleTimeout() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
  }

  // ---- connection limit ----

  @Test
  void closesAConnectionBeyondMaxConnectionsAtOnce() throws Exception {
    // A gateway of its own: the shared one's connection count depends on how fast earlier tests' closes are noticed.
    try (GatewayFixture limited = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          limits: {maxConnections: 2}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: probe}
        spec:
          directResponse: {status: 200, body: probe}
        """.formatted(0))) {
      int limitedPort = limited.port();
      try (RawConnection a = servedConnection(limitedPort); RawConnection b = servedConnection(limitedPort)) {
        try (RawConnection third = RawConnection.open(limitedPort)) {
          assertThat(third.closedByPeer(Duration.ofMillis(500))).as("third connection closed at once").isTrue();
        }
        a.close();
        // Once one of the two is gone, a new connection is served again.
        try (RawConnection fourth = servedConnection(limitedPort)) {
          assertThat(fourth.socket().isConnected()).isTrue();
        }
      }
    }
  }

  // ---- helpers ----

  /** A connection the gateway has accepted and answered a request on. */
  private static RawConnection servedConnection(int port) {
    AtomicReference<RawConnection> served = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
      RawConnection c = RawConnection.open(port);
      try {
        c.send(PROBE);
        if (c.readResponse().status() == 200) {
          served.set(c);
          return true;
        }
      } catch (IOException e) {
        // refused at the limit: try again
      }
      c.close();
      return false;
    });
    return served.get();
  }

  /** Reads the gateway's error response and checks every byte of it, then that the gateway closes. */
  private static void assertRefused(RawConnection c, int status, String message) throws IOException {
    RawConnection.Response r = c.readResponse();
    String reason = REASONS.get(status);
    String body = "{\"status\":" + status + ",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\"}\n";
    assertThat(r.statusLine()).isEqualTo("HTTP/1.1 " + status + " " + PHRASES.get(status));
    assertThat(r.headers()).containsExactly(
        Map.entry("Content-Type", "application/json"),
        Map.entry("X-Sluice-Reason", reason),
        Map.entry("Content-Length", String.valueOf(body.length())),
        Map.entry("Connection", "close"));
    assertThat(r.body()).isEqualTo(body);
    assertThat(c.closedByPeer(Duration.ofSeconds(5))).as("connection closed by the gateway").isTrue();
  }

  /** Awaits a condition that must keep holding for {@code duration}. */
  private static ConditionFactory quietly(Duration duration) {
    return await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).during(duration).atMost(Duration.ofSeconds(3));
  }

  /** Nothing reached the upstream: no request, and no new connection to it. */
  private static void assertNothingForwarded(int connectionsBefore) {
    quietly(Duration.ofMillis(100)).untilAsserted(() -> {
      assertThat(up.received()).as("requests received by the upstream").isEmpty();
      assertThat(up.connectionsAccepted()).as("connections accepted by the upstream").isEqualTo(connectionsBefore);
    });
  }
}
