package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import io.sluice.proxy.upstream.h2.H2TestUpstream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 upstreams ({@code Upstream spec.protocol}: h2c, h2 by ALPN): heads translated both ways,
 * bodies and trailers end to end, streams multiplexed up to the server's limit, GOAWAY, PING
 * keep-alive and cancellation, with HTTP/1.1 and HTTP/2 clients.
 */
class H2UpstreamTest {
  private static final H2TestUpstream.Handler ECHO = r -> new H2TestUpstream.Response(200,
      Map.of("content-type", "text/plain", "x-up", "h2"), r.header(":method") + " " + r.header(":path") + " " + r.body(),
      null, false);

  /** Listener {@code main}, upstream {@code backend} at {@code address} with {@code upstreamExtra} (YAML lines at the spec's indent), a catch-all route. */
  static String config(int port, String address, String upstreamExtra, String... more) {
    return String.join("", more) + """
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
          endpoints:
            - address: %s
          timeouts: {connect: 2s, response: 5s}
        %s
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(port, address, upstreamExtra.strip().lines().map(l -> "  " + l).reduce((a, b) -> a + "\n" + b).orElse(""));
  }

  @Test
  void forwardsH1RequestToH2cUpstreamAndBack() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(ECHO);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"))) {
      HttpResponse<String> r = gw.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/a?x=1"))
          .version(HttpClient.Version.HTTP_1_1).header("X-Custom", "yes").POST(HttpRequest.BodyPublishers.ofString("hello"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
      assertThat(r.body()).isEqualTo("POST /a?x=1 hello");
      assertThat(r.headers().firstValue("x-up")).hasValue("h2");
      H2TestUpstream.Request got = up.take();
      assertThat(got.header(":authority")).isEqualTo("127.0.0.1:" + gw.port());
      assertThat(got.header(":scheme")).isEqualTo("http");
      assertThat(got.header("x-custom")).isEqualTo("yes");
      assertThat(got.header("content-length")).isEqualTo("5");
      assertThat(got.header("x-forwarded-for")).isEqualTo("127.0.0.1");
      assertThat(got.headers().contains("host")).isFalse();
      assertThat(got.headers().contains("connection")).isFalse();
      assertThat(got.headers().contains("transfer-encoding")).isFalse();
      assertThat(got.header("via")).startsWith("1.1 sluice-");
    }
  }

  @Test
  void forwardsH2cClientRequestToH2cUpstreamWithTrailersBothWays() throws Exception {
    H2TestUpstream.Handler withTrailers = r -> new H2TestUpstream.Response(200, Map.of("content-type", "application/grpc"),
        "reply", Map.of("grpc-status", "0", "x-echo", String.valueOf(r.trailers() == null ? null : r.trailers().get("x-sum"))),
        false);
    try (H2TestUpstream up = H2TestUpstream.start(withTrailers);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"));
        RawH2 c = RawH2.connect(gw.port(), 0)) {
      c.request(1, false, "POST", "/svc/Method", "content-type", "application/grpc", "te", "trailers");
      c.frame(RawH2.DATA, 0, 1, "ping".getBytes(StandardCharsets.UTF_8));
      c.frame(RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, 1, trailerBlock("x-sum", "42"));
      List<Http2Headers> headers = new ArrayList<>();
      String body = readStream(c, 1, headers);
      assertThat(headers).hasSize(2);
      assertThat(headers.get(0).status().toString()).isEqualTo("200");
      assertThat(headers.get(0).get("content-type").toString()).isEqualTo("application/grpc");
      assertThat(body).isEqualTo("reply");
      assertThat(headers.get(1).get("grpc-status").toString()).isEqualTo("0");
      assertThat(headers.get(1).get("x-echo").toString()).isEqualTo("42");
      H2TestUpstream.Request got = up.take();
      assertThat(got.body()).isEqualTo("ping");
      assertThat(got.header("te")).isEqualTo("trailers");
      assertThat(got.trailers()).isNotNull();
      assertThat(got.trailers().get("x-sum").toString()).isEqualTo("42");
    }
  }

  @Test
  void passesH2UpstreamTrailersToAnH1ClientInTheLastChunk() throws Exception {
    Map<String, String> trailers = new LinkedHashMap<>();
    trailers.put("grpc-status", "0");
    trailers.put("x-checksum", "abc");
    try (H2TestUpstream up = H2TestUpstream.start(r -> new H2TestUpstream.Response(200, Map.of(), "body", trailers, false));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /t HTTP/1.1\r\nHost: x\r\n\r\n");
      String all = readUntil(c, "\r\n0\r\n");
      assertThat(all).startsWith("HTTP/1.1 200 ").contains("\r\nTransfer-Encoding: chunked\r\n")
          .endsWith("\r\n\r\n4\r\nbody\r\n0\r\ngrpc-status: 0\r\nx-checksum: abc\r\n\r\n");
    }
  }

  @Test
  void answersAHeadersOnlyUpstreamResponseAsOneHeadersFrame() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(r -> new H2TestUpstream.Response(200,
            Map.of("content-type", "application/grpc", "grpc-status", "5"), "", null, true));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"));
        RawH2 c = RawH2.connect(gw.port(), 0)) {
      c.request(1, true, "POST", "/svc/Method", "content-type", "application/grpc");
      List<Http2Headers> headers = new ArrayList<>();
      String body = readStream(c, 1, headers);
      assertThat(headers).hasSize(1);
      assertThat(headers.get(0).get("grpc-status").toString()).isEqualTo("5");
      assertThat(body).isEmpty();
      HttpResponse<String> h1 = gw.get(gw.port(), "/again");
      assertThat(h1.statusCode()).isEqualTo(200);
      assertThat(h1.headers().firstValue("content-length")).hasValue("0");
      assertThat(h1.headers().firstValue("grpc-status")).hasValue("5");
    }
  }

  @Test
  void forwardsH2ClientToH1UpstreamAndH1ClientToH2UpstreamOverTls() throws Exception {
    TestCerts ca = TestCerts.ca("h2-upstream-ca");
    TestCerts.Issued leaf = ca.leaf("h2-upstream", "127.0.0.1");
    try (H2TestUpstream up = H2TestUpstream.start(ECHO, new H2TestUpstream.Options(null, true, false, leaf));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "protocol: h2\ntls: {caSecret: upstream-ca}", caSecret("upstream-ca", ca)))) {
      HttpResponse<String> r = gw.get(gw.port(), "/over-tls");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("GET /over-tls ");
      assertThat(up.take().header(":scheme")).isEqualTo("https");
    }
    try (TestUpstream h1 = TestUpstream.start("h1", (req, ex) -> ex.respond(200, Map.of(), req.version() + " " + req.target()));
        GatewayFixture gw = GatewayFixture.start(config(0, h1.address(), "protocol: http1"))) {
      HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
          .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/h1")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("HTTP/1.1 /h1");
    }
  }

  @Test
  void opensAnotherConnectionOnlyWhenTheServersStreamLimitIsReached() throws Exception {
    // /slow requests are never answered: they hold their streams while the test counts connections.
    H2TestUpstream.Handler slow = r -> r.header(":path").startsWith("/slow") ? null
        : H2TestUpstream.Response.of(200, "done " + r.header(":path"));
    try (H2TestUpstream up = H2TestUpstream.start(slow, new H2TestUpstream.Options(2L, true, false, null));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"))) {
      // The first request learns the server's SETTINGS (2 streams at most).
      assertThat(gw.get(gw.port(), "/warm").body()).isEqualTo("done /warm");
      up.take();
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      for (int i = 0; i < 5; i++) {
        client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/slow" + i)).build(),
            HttpResponse.BodyHandlers.ofString());
      }
      Map<Integer, Integer> perConnection = new java.util.HashMap<>();
      for (int i = 0; i < 5; i++) perConnection.merge(up.take().connection(), 1, Integer::sum);
      assertThat(up.connections()).isEqualTo(3);
      assertThat(perConnection.values()).allMatch(n -> n <= 2);
    }
  }

  @Test
  void retriesStreamRefusedByGoawayOnANewConnection() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(ECHO, new H2TestUpstream.Options(null, true, true, null));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"))) {
      HttpResponse<String> r = gw.get(gw.port(), "/refused");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("GET /refused ");
      assertThat(up.connections()).isEqualTo(2);
    }
  }

  @Test
  void streamsRefusedTogetherByAGoawayShareOneNewConnection() throws Exception {
    // nginx retires an h2 connection after 1,000 requests (keepalive_requests) with a GOAWAY: the
    // streams it refused go again together, not each on a connection of its own.
    try (H2TestUpstream up = H2TestUpstream.start(ECHO, new H2TestUpstream.Options(null, true, true, null));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"))) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        calls.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/together" + i)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (int i = 0; i < 12; i++) {
        HttpResponse<String> r = calls.get(i).get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("GET /together" + i + " ");
      }
      // The gateway's two event loops each have a pool: the refused first connection, the one its
      // streams went again on, and the other loop's.
      assertThat(up.connections()).isLessThanOrEqualTo(3);
    }
  }

  @Test
  void closesAnIdleConnectionWhosePingIsNotAcknowledged() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(ECHO, new H2TestUpstream.Options(null, false, false, null));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "protocol: h2c\nhttp2: {pingInterval: 200ms, pingTimeout: 300ms}"))) {
      assertThat(gw.get(gw.port(), "/p").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> up.pings() >= 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> up.openConnections() == 0);
      assertThat(gw.get(gw.port(), "/q").body()).isEqualTo("GET /q ");
      assertThat(up.connections()).isEqualTo(2);
    }
  }

  @Test
  void keepsAnIdleConnectionWhosePingsAreAcknowledged() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(ECHO);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "protocol: h2c\nhttp2: {pingInterval: 100ms, pingTimeout: 1s}"))) {
      assertThat(gw.get(gw.port(), "/p").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> up.pings() >= 3);
      assertThat(gw.get(gw.port(), "/q").body()).isEqualTo("GET /q ");
      assertThat(up.connections()).isEqualTo(1);
    }
  }

  @Test
  void resetsTheUpstreamStreamWhenTheClientCancels() throws Exception {
    try (H2TestUpstream up = H2TestUpstream.start(r -> null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "protocol: h2c"));
        RawH2 c = RawH2.connect(gw.port(), 0)) {
      c.request(1, true, "GET", "/never");
      up.take();
      c.rst(1, 8);
      await().atMost(Duration.ofSeconds(10)).until(() -> up.resets() == 1);
    }
  }

  @Test
  void healthChecksSpeakH2cToAnH2cUpstream() throws Exception {
    java.util.concurrent.atomic.AtomicInteger healthStatus = new java.util.concurrent.atomic.AtomicInteger(200);
    H2TestUpstream.Handler h = r -> r.header(":path").equals("/healthz")
        ? H2TestUpstream.Response.of(healthStatus.get(), "") : ECHO.handle(r);
    try (H2TestUpstream up = H2TestUpstream.start(h);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "protocol: h2c\nhealthCheck: {path: /healthz, interval: 100ms, timeout: 100ms, unhealthyThreshold: 1, healthyThreshold: 1}"))) {
      H2TestUpstream.Request check = up.take();
      assertThat(check.header(":method")).isEqualTo("GET");
      assertThat(check.header(":path")).isEqualTo("/healthz");
      assertThat(check.header("user-agent")).isEqualTo("sluice-health-check");
      assertThat(gw.get(gw.port(), "/ok").body()).isEqualTo("GET /ok ");
      healthStatus.set(503);
      await().atMost(Duration.ofSeconds(10)).until(() -> gw.get(gw.port(), "/down").statusCode() == 503);
      assertThat(gw.get(gw.port(), "/down").headers().firstValue("x-sluice-reason")).hasValue("no_healthy_upstream");
    }
  }

  // ---- helpers

  static String caSecret(String name, TestCerts ca) {
    return """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: %s}
        spec:
          tls:
            ca: |
        %s
        ---
        """.formatted(name, ca.caCert().certPem().strip().lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse(""));
  }

  private static byte[] trailerBlock(String... fields) throws Exception {
    io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder enc = new io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder();
    io.netty.handler.codec.http2.DefaultHttp2Headers h = new io.netty.handler.codec.http2.DefaultHttp2Headers(false);
    for (int i = 0; i < fields.length; i += 2) h.add(fields[i], fields[i + 1]);
    io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.buffer();
    try {
      // A fresh encoder: its dynamic table is empty, so the block uses no entry the connection's decoder lacks.
      enc.encodeHeaders(0, h, buf);
      byte[] b = new byte[buf.readableBytes()];
      buf.readBytes(b);
      return b;
    } finally {
      buf.release();
    }
  }

  /** Reads stream {@code id} to its END_STREAM: each HEADERS block into {@code headers}, the DATA as the result. */
  private static String readStream(RawH2 c, int id, List<Http2Headers> headers) throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      RawH2.Frame f = c.read();
      if (f == null) throw new AssertionError("the connection ended");
      if (f.type() == RawH2.HEADERS) {
        Http2Headers h = c.decode(f);
        if (f.stream() == id) headers.add(h);
      }
      if (f.stream() != id) continue;
      if (f.type() == RawH2.RST_STREAM) throw new AssertionError("stream reset: " + f.errorCode());
      if (f.type() == RawH2.DATA) body.write(f.payload());
      if ((f.flags() & RawH2.END_STREAM) != 0 && (f.type() == RawH2.DATA || f.type() == RawH2.HEADERS)) {
        return body.toString(StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("stream " + id + " did not end");
  }

  private static String readUntil(RawConnection c, String endMarker) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    c.socket().setSoTimeout(10_000);
    while (true) {
      String s = all.toString(StandardCharsets.ISO_8859_1);
      int at = s.indexOf(endMarker);
      if (at >= 0 && s.endsWith("\r\n\r\n") && s.length() > at + endMarker.length() - 2) return s;
      int n = c.input().read(buf);
      if (n < 0) return s;
      all.write(buf, 0, n);
    }
  }
}
