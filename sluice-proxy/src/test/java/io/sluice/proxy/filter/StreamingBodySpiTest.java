package io.sluice.proxy.filter;

import static io.sluice.proxy.filter.FilterSpiTest.gateway;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link io.sluice.filter.Filter#streamRequestBody()} and {@code streamResponseBody()} through the real proxy. */
class StreamingBodySpiTest {
  private static String route(String filters) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          match: {path: {prefix: /}}
          upstream: backend
          filters: %s
        ---
        """.formatted(filters);
  }

  private static String stream(String config) {
    return "{kind: test-stream, config: " + config + "}";
  }

  /** A chunked body as received: its chunks' data, one string each, and its trailer lines. */
  record Chunked(List<String> chunks, List<String> trailers, boolean complete) {
    String body() {
      return String.join("", chunks);
    }
  }

  /** Reads a chunked body from {@code in}; {@code complete} is false when the stream ends before the last chunk. */
  static Chunked readChunked(InputStream in) throws IOException {
    List<String> chunks = new ArrayList<>();
    List<String> trailers = new ArrayList<>();
    while (true) {
      String size = readLine(in);
      if (size == null) return new Chunked(chunks, trailers, false);
      int n = Integer.parseInt(size.split(";")[0].strip(), 16);
      if (n == 0) break;
      chunks.add(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
      readLine(in);
    }
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) trailers.add(line);
    return new Chunked(chunks, trailers, line != null);
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) return null;
      if (b != '\r') sb.append((char) b);
    }
    return sb.toString();
  }

  /** Reads a response head (status line and fields) from {@code in}, as lines. */
  static List<String> readHead(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) lines.add(line);
    return lines;
  }

  @BeforeEach
  void resetCalls() {
    StreamFilters.CALLS.set(0);
  }

  @Test
  void requestChunksAreUpperCasedAndAContentLengthBodyGoesUpstreamChunked() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: upper, request: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /a HTTP/1.1\r\nHost: test.local\r\nContent-Length: 11\r\n\r\nhello world");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      TestUpstream.Received got = up.take();
      assertThat(got.bodyText()).isEqualTo("HELLO WORLD");
      assertThat(got.header("transfer-encoding")).isEqualTo("chunked");
      assertThat(got.header("content-length")).isNull();
    }
  }

  @Test
  void aChunkedRequestBodyIsUpperCasedAndReachesTheUpstreamWithItsTrailersAndTheCount() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway(raw.address(), route("[" + stream("{mode: upper, request: true}") + ", "
            + stream("{mode: count, request: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /a HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Client: yes\r\n\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        String head = u.readHead();
        assertThat(head).contains("\r\nTransfer-Encoding: chunked\r\n").doesNotContainIgnoringCase("content-length");
        Chunked body = readChunked(u.input());
        // Chain order: the counter sees the upper-cased chunks; the client's trailer comes first.
        assertThat(body.chunks()).containsExactly("HELLO", " WORLD");
        assertThat(body.trailers()).containsExactly("X-Client: yes", "X-Body-Bytes: 11");
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
  }

  @Test
  void responseChunksAreUpperCasedAndAContentLengthResponseGoesToTheClientChunkedOnAKeptAliveConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "hello"));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: upper, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 2; i++) {
        c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("HELLO");
        assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(r.hasHeader("content-length")).isFalse();
        assertThat(r.header("content-type")).isEqualTo("text/plain");
      }
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void anHttp10ClientGetsAStreamedChunkedResponseDelimitedByTheClose() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respondChunked(200, Map.of(), List.of("hel", "lo")));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: upper, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.0\r\nHost: test.local\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("HELLO");
      assertThat(r.hasHeader("transfer-encoding")).isFalse();
      assertThat(r.hasHeader("content-length")).isFalse();
      assertThat(r.header("connection")).isEqualTo("close");
    }
  }

  @Test
  void anHttp10ClientGetsAStreamedContentLengthResponseWithoutItsLength() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "hello"));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: upper, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.0\r\nHost: test.local\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.body()).isEqualTo("HELLO");
      assertThat(r.hasHeader("content-length")).isFalse();
      assertThat(r.hasHeader("transfer-encoding")).isFalse();
    }
  }

  @Test
  void aCloseDelimitedResponseGoesToAnHttp11ClientChunkedAndTheConnectionStaysOpen() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway(raw.address(), route("[" + stream("{mode: upper, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        u.readHead();
        u.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close");
      }
      RawConnection.Response r = c.readResponse();
      assertThat(r.body()).isEqualTo("UNTIL-CLOSE");
      assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
      assertThat(r.hasHeader("connection")).isFalse();
      assertThat(c.closedByPeer(Duration.ofMillis(200))).isFalse();
    }
  }

  @Test
  void theCountOfAChunkedResponseGoesToTheClientInATrailerAfterTheUpstreamsTrailers() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway(raw.address(), route("[" + stream("{mode: count, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        u.readHead();
        u.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Up: 1\r\n\r\n");
        List<String> head = readHead(c.input());
        assertThat(head.get(0)).isEqualTo("HTTP/1.1 200 OK");
        assertThat(head).contains("Transfer-Encoding: chunked");
        Chunked body = readChunked(c.input());
        assertThat(body.body()).isEqualTo("abcde");
        assertThat(body.trailers()).containsExactly("X-Up: 1", "X-Body-Bytes: 5");
      }
    }
  }

  @Test
  void aPausingFilterReleasesTheWholeRequestBodyAsOneChunkAtTheEnd() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway(raw.address(), route("[" + stream("{mode: hold, request: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /a HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        u.readHead();
        Chunked body = readChunked(u.input());
        assertThat(body.chunks()).containsExactly("0123456789");
        u.write("HTTP/1.1 204 No Content\r\n\r\n");
      }
      assertThat(c.readResponse().status()).isEqualTo(204);
    }
  }

  @Test
  void aPausingFilterReleasesTheWholeResponseBodyAsOneChunkAtTheEnd() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respondChunked(200, Map.of(), List.of("abc", "def", "g")));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: hold, response: true}") + ", "
            + stream("{mode: upper, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      List<String> head = readHead(c.input());
      assertThat(head.get(0)).isEqualTo("HTTP/1.1 200 X");
      // Reverse order: the upper-casing filter (later in the chain) runs first, then the holding one.
      assertThat(readChunked(c.input()).chunks()).containsExactly("ABCDEFG");
    }
  }

  @Test
  void headNoContentAndNotModifiedResponsesAndBodylessRequestsGetNoChunkCalls() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> {
          switch (req.target()) {
            case "/none" -> ex.respond(204, Map.of(), "");
            case "/same" -> ex.respond(304, Map.of(), "");
            default -> ex.respond(200, Map.of(), "hello");
          }
        });
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: count, request: true, response: true}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("HEAD /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      RawConnection.Response h = c.readHeadResponse();
      assertThat(h.status()).isEqualTo(200);
      assertThat(h.header("content-length")).isEqualTo("5");
      assertThat(h.hasHeader("transfer-encoding")).isFalse();
      c.send("GET /none HTTP/1.1\r\nHost: test.local\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(204);
      c.send("GET /same HTTP/1.1\r\nHost: test.local\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(304);
      assertThat(StreamFilters.CALLS.get()).isZero();
      // A body is streamed: one call with the data, one at the end.
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("hello");
      assertThat(StreamFilters.CALLS.get()).isEqualTo(2);
    }
  }

  @Test
  void aFilterThatThrowsMidRequestBodyGets500FilterErrorAndTheUpstreamAttemptIsAbandoned() throws Exception {
    // Larger than the listener's request buffer (64KiB), so the body streams before it is complete.
    int first = 70_000;
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway(raw.address(), route("[" + stream("{mode: fail, request: true, failAfter: " + first + "}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /a HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(first) + "\r\n"
          + "a".repeat(first) + "\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        u.readHead();
        // What the filter let through reached the upstream, re-chunked.
        long got = 0;
        while (got < first) {
          String size = readLine(u.input());
          int n = Integer.parseInt(size.strip(), 16);
          assertThat(new String(u.readN(n), StandardCharsets.ISO_8859_1)).isEqualTo("a".repeat(n));
          readLine(u.input());
          got += n;
        }
        assertThat(got).isEqualTo(first);
        c.send("1\r\ne\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.header("x-sluice-reason")).isEqualTo("filter_error");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(r.body()).contains("\"reason\":\"filter_error\"").contains("Route/r spec.filters[0] (test-stream)");
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
        // The upstream's half-sent request is abandoned with its connection.
        assertThat(u.input().read()).isEqualTo(-1);
      }
    }
  }

  @Test
  void aResponseFilterThatThrowsBeforeTheHeadWentOutGets500FilterError() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "hello"));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: fail, response: true, failAfter: 0}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.header("x-sluice-reason")).isEqualTo("filter_error");
      assertThat(r.body()).contains("filter Route/r spec.filters[0] (test-stream) failed");
    }
  }

  @Test
  void aResponseFilterThatThrowsAfterTheHeadWentOutClosesTheClientConnectionMidBody() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respondChunked(200, Map.of(), List.of("hello", "world")));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: fail, response: true, failAfter: 5}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      assertThat(readHead(c.input()).get(0)).isEqualTo("HTTP/1.1 200 X");
      Chunked body = readChunked(c.input());
      assertThat(body.chunks()).containsExactly("hello");
      assertThat(body.complete()).isFalse();
    }
  }

  @Test
  void aResponseHeldOverTheFiltersLimitBeforeAnyByteWentOutGets502() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respondChunked(200, Map.of(), List.of("hello", " world")));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: hold, response: true, limit: 8B}") + "]"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-sluice-reason")).isEqualTo("response_body_too_large");
      assertThat(r.body()).contains("response body held by filter Route/r spec.filters[0] (test-stream) is larger than its limit of 8 bytes");
      assertThat(r.header("connection")).isEqualTo("close");
    }
  }

  @Test
  void aHundredMebibyteBodyStreamsThroughAFilterThatPausesUntilItHolds64KiB() throws Exception {
    long size = 100L << 20;
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "done"));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: hold, request: true, every: 64KiB, limit: 1MiB}") + "]"));
        Socket s = new Socket("127.0.0.1", gw.port())) {
      CRC32 crc = new CRC32();
      CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = s.getOutputStream();
          out.write(("POST /big HTTP/1.1\r\nHost: test.local\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          byte[] block = TestUpstream.pattern(1 << 20);
          for (long n = 0; n < size; n += block.length) {
            out.write(block);
            crc.update(block);
          }
          out.flush();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      RawConnection c = RawConnection.over(s);
      RawConnection.Response r = c.readResponse();
      sent.get();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("done");
      TestUpstream.Received got = up.take();
      assertThat(got.header("transfer-encoding")).isEqualTo("chunked");
      assertThat(got.bodyLength()).isEqualTo(size);
      assertThat(got.bodyCrc32()).isEqualTo(crc.getValue());
    }
  }

  @Test
  void aHundredMebibyteBodyHeldByAPausingFilterOverItsLimitGets413() throws Exception {
    long size = 100L << 20;
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "done"));
        GatewayFixture gw = gateway(up.address(), route("[" + stream("{mode: hold, request: true, limit: 1MiB}") + "]"));
        Socket s = new Socket("127.0.0.1", gw.port())) {
      CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = s.getOutputStream();
          out.write(("POST /big HTTP/1.1\r\nHost: test.local\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          byte[] block = new byte[64 * 1024];
          for (long n = 0; n < size; n += block.length) out.write(block);
          out.flush();
        } catch (IOException expected) {
          // The gateway answers 413 and closes while the body is still coming.
        }
      });
      RawConnection c = RawConnection.over(s);
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(413);
      assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
      assertThat(r.body()).contains("larger than its limit of 1048576 bytes");
      sent.get();
    }
  }
}
