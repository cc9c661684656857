package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1's {@code Upgrade: h2c} on a plain listener, by the clients that use it: the JDK's
 * {@code HttpClient} with {@code HTTP_2} on {@code http://}, and {@code curl --http2}.
 */
class Http2UpgradeTest {
  static TestUpstream up;
  static GatewayFixture both;
  static GatewayFixture http1Only;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("X-Up", "1"),
        req.method() + " " + req.target() + " " + req.bodyText()));
    both = GatewayFixture.start(H2Fixture.plain(0, up.address(), ""));
    http1Only = GatewayFixture.start(H2Fixture.plain(0, up.address(), "protocols: [http1]"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (both != null) both.close();
    if (http1Only != null) http1Only.close();
    if (up != null) up.close();
  }

  private static HttpClient jdk() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Test
  void jdkClientUpgradesToH2cAndGetsTheAnswerOnStreamOne() throws Exception {
    up.received().clear();
    HttpClient client = jdk();
    HttpResponse<String> first = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + both.port() + "/first?x=1"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("x-up")).hasValue("1");
    assertThat(first.body()).isEqualTo("GET /first?x=1 ");
    TestUpstream.Received got = up.take();
    // The upgrade's own fields are the hop's, not the upstream's.
    assertThat(got.header("Upgrade")).isNull();
    assertThat(got.header("HTTP2-Settings")).isNull();
    assertThat(got.header("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(got.header("Host")).isEqualTo("127.0.0.1:" + both.port());
    // The connection now speaks HTTP/2: the next request goes on it as a new stream.
    HttpResponse<String> second = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + both.port() + "/second"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(second.body()).isEqualTo("GET /second ");
  }

  @Test
  void jdkClientUpgradesWithARequestBodyThatReachesTheUpstreamWhole() throws Exception {
    up.received().clear();
    String body = "z".repeat(20_000);
    HttpResponse<String> res = jdk().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + both.port() + "/post"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).isEqualTo("POST /post " + body);
    TestUpstream.Received got = up.take();
    assertThat(got.header("Content-Length")).isEqualTo("20000");
    assertThat(got.bodyText()).isEqualTo(body);
  }

  @Test
  void curlUpgradesWithHttp2OnHttp() throws Exception {
    H2Fixture.Run r = H2Fixture.run("curl", "-sS", "-i", "--http2", "http://127.0.0.1:" + both.port() + "/curl");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).startsWith("HTTP/1.1 101 Switching Protocols").contains("\r\n\r\nHTTP/2 200")
        .contains("x-up: 1").endsWith("GET /curl ");
  }

  @Test
  void anUpgradeRequestWithABodyOverTheBufferLimitIsAnsweredOnHttp11() throws Exception {
    up.received().clear();
    // Over 64 KiB (the default requestBuffer): the body would be held in memory before the switch.
    String body = "q".repeat(70_000);
    HttpResponse<String> res = jdk().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + both.port() + "/large"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).isEqualTo("POST /large " + body);
  }

  @Test
  void aListenerWithoutH2cIgnoresTheUpgradeAndAnswersInHttp11() throws Exception {
    HttpResponse<String> res = jdk().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http1Only.port() + "/plain"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).isEqualTo("GET /plain ");
  }

  @Test
  void anUpgradeWithMalformedSettingsIsAnsweredInHttp11() throws Exception {
    try (Socket s = new Socket("127.0.0.1", both.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /bad HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
          + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA!\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = new byte[12];
      int n = 0;
      while (n < head.length) {
        int r = in.read(head, n, head.length - n);
        if (r < 0) break;
        n += r;
      }
      assertThat(new String(head, 0, n, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    }
  }
}
