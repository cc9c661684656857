package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/2 on listeners, by real clients: curl, nghttp and h2load (h2c by prior knowledge), curl and the JDK (h2 by ALPN). */
class Http2ListenerTest {
  static TestUpstream up;
  static GatewayFixture plain;
  static GatewayFixture tls;
  @TempDir static Path tmp;
  static Path caFile;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("X-Up", "1"),
        req.method() + " " + req.target() + " " + req.bodyText()));
    plain = GatewayFixture.start(H2Fixture.plain(0, up.address(), ""));
    tls = GatewayFixture.start(H2Fixture.tls(0, up.address(), ""));
    caFile = H2Fixture.caFile(tmp);
  }

  @AfterAll
  static void stop() throws Exception {
    if (plain != null) plain.close();
    if (tls != null) tls.close();
    if (up != null) up.close();
  }

  @Test
  void curlGetsTheUpstreamsAnswerOverH2cWithPriorKnowledge() throws Exception {
    up.received().clear();
    H2Fixture.Run r = H2Fixture.run("curl", "-sS", "-i", "--http2-prior-knowledge", "http://127.0.0.1:" + plain.port() + "/a/%2e%2e/b?x=1");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).startsWith("HTTP/2 200").contains("x-up: 1").endsWith("GET /b?x=1 ");
    TestUpstream.Received got = up.take();
    assertThat(got.version()).isEqualTo("HTTP/1.1");
    assertThat(got.header("Host")).isEqualTo("127.0.0.1:" + plain.port());
    assertThat(got.header("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(got.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(got.header("Via")).startsWith("1.1 sluice-");
    assertThat(got.header("X-Request-Id")).hasSize(32);
  }

  @Test
  void curlPostsABodyOverH2cAndTheUpstreamGetsItWithItsLength() throws Exception {
    up.received().clear();
    Path body = Files.writeString(tmp.resolve("body.txt"), "x".repeat(100_000));
    H2Fixture.Run r = H2Fixture.run("curl", "-sS", "--http2-prior-knowledge", "--data-binary", "@" + body,
        "http://127.0.0.1:" + plain.port() + "/post");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).isEqualTo("POST /post " + "x".repeat(100_000));
    TestUpstream.Received got = up.take();
    assertThat(got.header("Content-Length")).isEqualTo("100000");
    assertThat(got.header("Transfer-Encoding")).isNull();
  }

  @Test
  void curlGetsH2ByAlpnOnATlsListener() throws Exception {
    H2Fixture.Run r = H2Fixture.run("curl", "-sS", "-i", "--http2", "--cacert", caFile.toString(),
        "https://127.0.0.1:" + tls.port() + "/tls");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).startsWith("HTTP/2 200").endsWith("GET /tls ");
  }

  @Test
  void jdkClientStreamsABodyOfUnknownLengthOverH2AndTheUpstreamGetsItChunked() throws Exception {
    up.received().clear();
    HttpClient client = H2Fixture.client(HttpClient.Version.HTTP_2);
    byte[] payload = "y".repeat(70_000).getBytes(StandardCharsets.US_ASCII);
    HttpResponse<String> res = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.port() + "/up"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(payload)))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).isEqualTo("POST /up " + "y".repeat(70_000));
    TestUpstream.Received got = up.take();
    assertThat(got.header("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(got.header("X-Forwarded-Proto")).isEqualTo("https");
  }

  @Test
  void nghttpGetsTheAnswerOverH2c() throws Exception {
    H2Fixture.Run r = H2Fixture.run("nghttp", "-n", "-s", "http://127.0.0.1:" + plain.port() + "/ng");
    assertThat(r.exit()).as(r.output()).isZero();
    H2Fixture.Run body = H2Fixture.run("nghttp", "http://127.0.0.1:" + plain.port() + "/ng");
    assertThat(body.output()).isEqualTo("GET /ng ");
  }

  @Test
  void h2loadMultiplexesManyStreamsOverFewConnectionsWithoutAFailure() throws Exception {
    H2Fixture.Run r = H2Fixture.run("h2load", "-n", "400", "-c", "4", "-m", "20", "http://127.0.0.1:" + plain.port() + "/load");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("400 total, 400 started, 400 done, 400 succeeded, 0 failed, 0 errored");
    assertThat(r.output()).contains("status codes: 400 2xx");
  }

  @Test
  void servesHttp11AndH2ClientsOnOneListenerAtOnce() throws Exception {
    HttpClient h1 = H2Fixture.client(HttpClient.Version.HTTP_1_1);
    HttpClient h2 = H2Fixture.client(HttpClient.Version.HTTP_2);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      for (HttpClient c : List.of(h1, h2)) {
        all.add(c.sendAsync(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.port() + "/mix/" + i))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
      }
    }
    int h2count = 0;
    for (int i = 0; i < all.size(); i++) {
      HttpResponse<String> res = all.get(i).join();
      assertThat(res.statusCode()).isEqualTo(200);
      assertThat(res.body()).isEqualTo("GET /mix/" + (i / 2) + " ");
      assertThat(res.version()).isEqualTo(i % 2 == 0 ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2);
      if (res.version() == HttpClient.Version.HTTP_2) h2count++;
    }
    assertThat(h2count).isEqualTo(40);
    // The plain listener tells HTTP/1.1 from h2c by the first bytes: both at once.
    H2Fixture.Run a = H2Fixture.run("curl", "-sS", "--http1.1", "http://127.0.0.1:" + plain.port() + "/one");
    H2Fixture.Run b = H2Fixture.run("curl", "-sS", "--http2-prior-knowledge", "http://127.0.0.1:" + plain.port() + "/two");
    assertThat(a.output()).isEqualTo("GET /one ");
    assertThat(b.output()).isEqualTo("GET /two ");
  }

  @Test
  void gatewayErrorsComeAsHttp2ResponsesWithTheReason() throws Exception {
    GatewayFixture noUpstream = GatewayFixture.start(H2Fixture.plain(0, "127.0.0.1:1", ""));
    try (noUpstream) {
      H2Fixture.Run r = H2Fixture.run("curl", "-sS", "-i", "--http2-prior-knowledge", "http://127.0.0.1:" + noUpstream.port() + "/x");
      assertThat(r.output()).startsWith("HTTP/2 502").contains("x-sluice-reason: upstream_connect_failure")
          .contains("{\"status\":502,\"reason\":\"upstream_connect_failure\"");
    }
  }
}
