package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

/**
 * Every kind of client at once: on one plain listener HTTP/1.1 keep-alive, h2c by prior knowledge
 * (curl, h2load) and h2c by Upgrade (the JDK); on one TLS listener h2 and http/1.1 by ALPN.
 */
class Http2MixedClientsTest {
  static TestUpstream up;
  static GatewayFixture plain;
  static GatewayFixture tls;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), req.method() + " " + req.target()));
    plain = GatewayFixture.start(H2Fixture.plain(0, up.address(), ""));
    tls = GatewayFixture.start(H2Fixture.tls(0, up.address(), ""));
  }

  @AfterAll
  static void stop() throws Exception {
    if (plain != null) plain.close();
    if (tls != null) tls.close();
    if (up != null) up.close();
  }

  record Call(CompletableFuture<HttpResponse<String>> response, String path, HttpClient.Version expected) {}

  @Test
  void http11H2cPriorKnowledgeH2cUpgradeAndAlpnClientsAreAllServedAtOnce() throws Exception {
    String h = "http://127.0.0.1:" + plain.port();
    String s = "https://127.0.0.1:" + tls.port();
    CompletableFuture<H2Fixture.Run> load = CompletableFuture.supplyAsync(() -> run(
        "h2load", "-n", "1000", "-c", "4", "-m", "10", h + "/h2load"));
    // One URL per curl: curl 7.88 fails to reuse a prior-knowledge connection for a second URL
    // ("Error in the HTTP2 framing layer" before it sends anything), whatever the server.
    CompletableFuture<H2Fixture.Run> curl = CompletableFuture.supplyAsync(() -> run(
        "curl", "-sS", "--http2-prior-knowledge", h + "/c1"));
    CompletableFuture<H2Fixture.Run> curlUpgrade = CompletableFuture.supplyAsync(() -> run(
        "curl", "-sS", "--http2", h + "/u1"));
    HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpClient upgrade = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpClient alpnH2 = H2Fixture.client(HttpClient.Version.HTTP_2);
    HttpClient alpnH1 = H2Fixture.client(HttpClient.Version.HTTP_1_1);
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(call(h1, h + "/h1/" + i, HttpClient.Version.HTTP_1_1));
      calls.add(call(upgrade, h + "/upgrade/" + i, HttpClient.Version.HTTP_2));
      calls.add(call(alpnH2, s + "/alpn-h2/" + i, HttpClient.Version.HTTP_2));
      calls.add(call(alpnH1, s + "/alpn-h1/" + i, HttpClient.Version.HTTP_1_1));
    }
    List<String> failed = new ArrayList<>();
    for (Call c : calls) {
      try {
        c.response().join();
      } catch (RuntimeException e) {
        failed.add(c.path() + ": " + e.getCause());
      }
    }
    assertThat(failed).isEmpty();
    for (Call c : calls) {
      HttpResponse<String> r = c.response().join();
      assertThat(r.statusCode()).as(c.path()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("GET " + c.path());
      assertThat(r.version()).as(c.path()).isEqualTo(c.expected());
    }
    assertThat(curl.join().output()).isEqualTo("GET /c1");
    assertThat(curlUpgrade.join().output()).isEqualTo("GET /u1");
    H2Fixture.Run l = load.join();
    assertThat(l.exit()).as(l.output()).isZero();
    assertThat(l.output()).contains("1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored")
        .contains("status codes: 1000 2xx");
  }

  private static Call call(HttpClient client, String url, HttpClient.Version expected) {
    return new Call(client.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString()), URI.create(url).getPath(), expected);
  }

  private static H2Fixture.Run run(String... command) {
    try {
      return H2Fixture.run(command);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
