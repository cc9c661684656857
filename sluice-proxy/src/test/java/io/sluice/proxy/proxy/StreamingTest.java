package io.sluice.proxy.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Bodies both ways, in every framing HTTP/1.1 has, reach the other side intact. */
class StreamingTest {
  private static String config(int port, String endpoint, String limits) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          limits: {%s}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 5s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(port, limits, endpoint);
  }

  private static GatewayFixture gateway(String endpoint) throws Exception {
    return GatewayFixture.start(GatewayFixture.simpleProxy(0, endpoint));
  }

  private static long crc(byte[] b) {
    CRC32 c = new CRC32();
    c.update(b);
    return c.getValue();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Answers with the length and CRC32 of the body it received. */
  private static TestUpstream bodySummary() throws IOException {
    return TestUpstream.start("sum", (req, ex) -> ex.respond(200, Map.of(), req.bodyLength() + " " + req.bodyCrc32()));
  }

  @Test
  void contentLengthRequestBodyReachesTheUpstreamIntactWithItsContentLength() throws Exception {
    byte[] body = random(300_000, 1);
    try (TestUpstream up = bodySummary(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: "
          + body.length + "\r\n\r\n");
      c.send(body);
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(body.length + " " + crc(body));
      TestUpstream.Received got = up.take();
      assertThat(got.method()).isEqualTo("POST");
      assertThat(got.header("content-length")).isEqualTo(String.valueOf(body.length));
      assertThat(got.headerCount("content-length")).isEqualTo(1);
      assertThat(got.header("transfer-encoding")).isNull();
      assertThat(got.body()).isEqualTo(body);
    }
  }

  @Test
  void chunkedRequestBodyStaysChunkedAndItsFramingReachesTheUpstreamVerbatim() throws Exception {
    // Chunk sizes in both cases, an extension, a trailer: a proxy that re-chunked would change these bytes.
    String framed = "5\r\nhello\r\n"
        + "A;ext=1\r\n, chunked!\r\n"
        + "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
        + "0\r\nX-Trailer: t\r\n\r\n";
    try (RawUpstream up = RawUpstream.start(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + framed);
      try (RawUpstream.Conn u = up.accept()) {
        String head = u.readHead();
        assertThat(head).startsWith("POST /chunks HTTP/1.1\r\n");
        assertThat(head).containsIgnoringCase("\r\nTransfer-Encoding: chunked\r\n");
        assertThat(head.toLowerCase()).doesNotContain("content-length");
        byte[] body = u.readUntil("0\r\nX-Trailer: t\r\n\r\n".getBytes(ISO_8859_1));
        assertThat(new String(body, ISO_8859_1)).isEqualTo(framed);
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
      }
    }
  }

  @Test
  void largeChunkedRequestBodyArrivesWhole() throws Exception {
    byte[] body = random(2 * 1024 * 1024 + 17, 2);
    ByteArrayOutputStream framed = new ByteArrayOutputStream();
    Random sizes = new Random(3);
    for (int at = 0; at < body.length; ) {
      int n = Math.min(body.length - at, 1 + sizes.nextInt(100_000));
      framed.write((Integer.toHexString(n) + "\r\n").getBytes(ISO_8859_1));
      framed.write(body, at, n);
      framed.write("\r\n".getBytes(ISO_8859_1));
      at += n;
    }
    framed.write("0\r\n\r\n".getBytes(ISO_8859_1));
    try (TestUpstream up = bodySummary(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("PUT /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").send(framed.toByteArray());
      RawConnection.Response r = c.readResponse();
      assertThat(r.body()).isEqualTo(body.length + " " + crc(body));
      TestUpstream.Received got = up.take();
      assertThat(got.header("transfer-encoding")).isEqualTo("chunked");
      assertThat(got.header("content-length")).isNull();
    }
  }

  @Test
  void contentLengthResponseReachesTheClientIntact() throws Exception {
    byte[] body = random(1_500_000, 4);
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respond(200, Map.of("Content-Type", "application/x-test"), body));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /f HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = c.readHeadResponse();
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 X");
      assertThat(r.header("content-length")).isEqualTo(String.valueOf(body.length));
      assertThat(r.header("content-type")).isEqualTo("application/x-test");
      assertThat(r.header("transfer-encoding")).isNull();
      assertThat(c.input().readNBytes(body.length)).isEqualTo(body);
      // The connection stays usable: the body ended exactly where Content-Length said.
      c.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
  }

  @Test
  void chunkedResponseReachesTheClientChunkedWithItsFramingVerbatim() throws Exception {
    String framed = "3\r\nabc\r\n" + "10;x=y\r\n0123456789abcdef\r\n" + "0\r\nX-Checksum: 42\r\n\r\n";
    try (RawUpstream up = RawUpstream.start(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /c HTTP/1.1\r\nHost: a\r\n\r\n");
      try (RawUpstream.Conn u = up.accept()) {
        u.readHead();
        u.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + framed);
        RawConnection.Response head = c.readHeadResponse();
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(head.header("content-length")).isNull();
        assertThat(new String(c.input().readNBytes(framed.length()), ISO_8859_1)).isEqualTo(framed);
      }
    }
  }

  @Test
  void chunkedResponseWithManyChunksDecodesToTheSameBody() throws Exception {
    List<String> chunks = new java.util.ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      String s = "chunk-" + i + "-" + "x".repeat(i % 37) + ";";
      chunks.add(s);
      all.append(s);
    }
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respondChunked(200, Map.of(), chunks));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 2; i++) {
        c.send("GET /c HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(r.body()).isEqualTo(all.toString());
      }
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void chunkedResponseToAnHttp10ClientArrivesDechunkedAndTheConnectionCloses() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respondChunked(200, Map.of("X-Up", "1"),
            List.of("first,", "second,", "third")));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /old HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
      RawConnection.Response r = c.readResponse(); // no length: reads until close
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("transfer-encoding")).isNull();
      assertThat(r.header("content-length")).isNull();
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(r.header("x-up")).isEqualTo("1");
      assertThat(r.body()).isEqualTo("first,second,third");
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      assertThat(up.take().version()).isEqualTo("HTTP/1.1");
    }
  }

  @Test
  void http10ClientWithKeepAliveGetsContentLengthResponsesOnOneConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respond(200, Map.of(), "v" + req.target()));
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 2; i++) {
        c.send("GET /" + i + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.body()).isEqualTo("v/" + i);
        assertThat(r.header("connection")).isEqualTo("keep-alive");
      }
    }
  }

  @Test
  void headResponseHasNoBodyAndTheConnectionStaysInStep() throws Exception {
    try (RawUpstream up = RawUpstream.start(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n");
      try (RawUpstream.Conn u = up.accept()) {
        assertThat(u.readHead()).startsWith("HEAD /h HTTP/1.1\r\n");
        // A HEAD response announces the length of the body a GET would get, and has none.
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n");
        RawConnection.Response r = c.readHeadResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-length")).isEqualTo("1234");
        // The next request on both connections proves no body bytes were expected or sent.
        c.send("GET /g HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(u.readHead()).startsWith("GET /g HTTP/1.1\r\n");
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
        RawConnection.Response g = c.readResponse();
        assertThat(g.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(g.body()).isEqualTo("body");
      }
    }
  }

  @Test
  void headResponseWithChunkedHeaderHasNoBody() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> {
          if (req.method().equals("HEAD")) {
            ex.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
          } else {
            ex.respond(200, Map.of(), "after");
          }
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = c.readHeadResponse();
      assertThat(r.status()).isEqualTo(200);
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response g = c.readResponse();
      assertThat(g.statusLine()).isEqualTo("HTTP/1.1 200 X");
      assertThat(g.body()).isEqualTo("after");
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void noContentAndNotModifiedResponsesHaveNoBodyAndKeepTheConnectionsInStep() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> {
          switch (req.target()) {
            case "/204" -> ex.raw("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
            case "/304" -> ex.raw("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 99\r\n\r\n");
            default -> ex.respond(200, Map.of(), "plain");
          }
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("DELETE /204 HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r204 = c.readResponse();
      assertThat(r204.statusLine()).isEqualTo("HTTP/1.1 204 No Content");
      assertThat(r204.header("x-a")).isEqualTo("1");
      c.send("GET /304 HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n\r\n");
      RawConnection.Response r304 = c.readResponse();
      assertThat(r304.statusLine()).isEqualTo("HTTP/1.1 304 Not Modified");
      assertThat(r304.header("etag")).isEqualTo("\"v1\"");
      c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("plain");
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void responseWithoutLengthIsReadUntilTheUpstreamClosesAndThenTheClientConnectionCloses() throws Exception {
    byte[] body = random(200_000, 5);
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> {
          ex.raw("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
          ex.output().write(body);
          ex.close();
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = c.readHeadResponse();
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(r.header("content-length")).isNull();
      assertThat(r.header("transfer-encoding")).isNull();
      assertThat(c.input().readAllBytes()).isEqualTo(body);
    }
  }

  @Test
  void expect100ContinueIsAnsweredBeforeTheBodyAndTheUpstreamNeverSeesExpect() throws Exception {
    try (TestUpstream up = bodySummary(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
      RawConnection.Response interim = c.readResponse();
      assertThat(interim.statusLine()).isEqualTo("HTTP/1.1 100 Continue");
      assertThat(interim.headers()).isEmpty();
      c.send("hello world");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("11 " + crc("hello world".getBytes(UTF_8)));
      TestUpstream.Received got = up.take();
      assertThat(got.header("expect")).isNull();
      assertThat(got.rawHead().toLowerCase()).doesNotContain("expect");
      assertThat(got.bodyText()).isEqualTo("hello world");
      // The connection is still good for the next request.
      c.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
  }

  @Test
  void expect100ContinueOnAPooledUpstreamConnectionGetsExactlyOneInterimResponse() throws Exception {
    try (TestUpstream up = bodySummary(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
      // The upstream connection is pooled now, so this request gets it at once.
      c.send("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      assertThat(c.readResponse().statusLine()).isEqualTo("HTTP/1.1 100 Continue");
      c.send("12345");
      RawConnection.Response r = c.readResponse();
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 X");
      assertThat(r.body()).isEqualTo("5 " + crc("12345".getBytes(UTF_8)));
      assertThat(up.connectionsAccepted()).isEqualTo(1);
      c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().statusLine()).isEqualTo("HTTP/1.1 200 X");
    }
  }

  @Test
  void interimResponsesFromTheUpstreamAreNotPassedOn() throws Exception {
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> {
          ex.raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
          ex.respond(200, Map.of(), "final");
        });
        GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
      RawConnection.Response r = c.readResponse();
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 X");
      assertThat(r.body()).isEqualTo("final");
      c.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("final");
    }
  }

  @Test
  void aResponseBeforeTheWholeRequestBodyClosesTheClientConnectionAfterIt() throws Exception {
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "requestBuffer: 0"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n").send(new byte[1000]);
      try (RawUpstream.Conn u = up.accept()) {
        u.readHead();
        u.readN(1000);
        u.write("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nnope");
        RawConnection.Response r = c.readResponse();
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 413 Payload Too Large");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(r.body()).isEqualTo("nope");
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
    }
  }

  @Test
  void expect100ContinueWithAChunkedBody() throws Exception {
    try (TestUpstream up = bodySummary(); GatewayFixture gw = gateway(up.address());
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
      assertThat(c.readResponse().statusLine()).isEqualTo("HTTP/1.1 100 Continue");
      c.send("3\r\nabc\r\n0\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.body()).isEqualTo("3 " + crc("abc".getBytes(UTF_8)));
      assertThat(up.take().header("expect")).isNull();
    }
  }

  @Test
  void expect100ContinueOverMaxBodySizeGets413WithoutTheBodyBeingRead() throws Exception {
    try (TestUpstream up = bodySummary();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "maxBodySize: 1KiB"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10485760\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.statusLine()).isEqualTo("HTTP/1.1 413 Content Too Large");
      assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
      assertThat(r.header("content-type")).isEqualTo("application/json");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(r.body()).isEqualTo(
          "{\"status\":413,\"reason\":\"request_body_too_large\",\"message\":\"request body larger than 1024 bytes\"}\n");
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      assertThat(up.received()).isEmpty();
      assertThat(up.connectionsAccepted()).isZero();
    }
  }

  @Test
  void aChunkedBodyGrowingOverMaxBodySizeIsCutOffWith413() throws Exception {
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "maxBodySize: 1KiB, requestBuffer: 0"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" + "a".repeat(512) + "\r\n");
      try (RawUpstream.Conn u = up.accept()) {
        u.readHead();
        c.send("400\r\n" + "b".repeat(1024) + "\r\n0\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
        // The upstream got a truncated request and then its connection closed: no complete body ever reached it.
        byte[] got = u.input().readAllBytes();
        assertThat(new String(got, ISO_8859_1)).doesNotContain("0\r\n\r\n");
      }
    }
  }

  @Test
  void bodyWithinMaxBodySizeIsProxied() throws Exception {
    try (TestUpstream up = bodySummary();
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "maxBodySize: 1KiB"));
        RawConnection c = RawConnection.open(gw.port())) {
      byte[] body = random(1024, 6);
      c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n").send(body);
      assertThat(c.readResponse().body()).isEqualTo("1024 " + crc(body));
    }
  }
}
