package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Request bodies (buffered and streamed) and streamed response bodies through proxy-wasm plugins, each larger than one read. */
class WasmBodyStreamTest {
  /** A JSON body of about 200 KB, its "name" field last. */
  private static final String JSON = "{\"pad\":\"" + "x".repeat(200_000) + "\",\"name\":\"ada\"}";
  private static final String REWRITTEN = "{\"pad\":\"" + "x".repeat(200_000) + "\",\"name\":\"wasm:ada\"}";

  /** The plugin's first calls run before the JIT has compiled it: 200 KB of string work needs more than the default 50 ms then. */
  private static final String BUDGET = "cpuBudget: 5s";

  private static HttpResponse<String> post(GatewayFixture gw, String body) throws Exception {
    return gw.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/j"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPluginRewritesAJsonFieldOfTheBufferedRequestBody() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("jsonbody", "requestBody: 1MiB, " + BUDGET))) {
      HttpResponse<String> r = post(gw, JSON);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      TestUpstream.Received got = up.take();
      assertThat(got.bodyText()).isEqualTo(REWRITTEN);
      assertThat(got.header("Content-Length")).isEqualTo(Integer.toString(REWRITTEN.length()));
    }
  }

  @Test
  void aPluginThatAsksForBufferingRewritesAStreamedRequestBodyAtItsEnd() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("jsonbody", "streamRequestBody: 1MiB, " + BUDGET))) {
      HttpResponse<String> r = post(gw, JSON);
      assertThat(r.statusCode()).isEqualTo(200);
      TestUpstream.Received got = up.take();
      assertThat(got.bodyText()).isEqualTo(REWRITTEN);
      // streamed: re-framed as chunks, since the plugin may change a piece's size
      assertThat(got.header("Transfer-Encoding")).isEqualTo("chunked");
      assertThat(got.header("Content-Length")).isNull();
    }
  }

  @Test
  void aStreamedRequestBodyOverWhatThePluginMayHoldGets413() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("jsonbody", "streamRequestBody: 64KiB, " + BUDGET))) {
      HttpResponse<String> r = post(gw, JSON);
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(r.headers().firstValue("X-Sluice-Reason")).hasValue("request_body_too_large");
    }
  }

  @Test
  void aPluginRewritesAStreamedResponseBodyPieceByPiece() throws Exception {
    String text = "abcdefghij".repeat(30_000);
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), text));
        GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("chunks", "streamResponseBody: 64KiB, " + BUDGET))) {
      HttpResponse<String> r = gw.get(gw.port(), "/c");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
      String upper = text.toUpperCase(Locale.ROOT);
      assertThat(r.body()).startsWith(upper);
      Matcher calls = Pattern.compile("\ncalls=(\\d+)").matcher(r.body().substring(upper.length()));
      assertThat(calls.matches()).as(r.body().substring(upper.length())).isTrue();
      // 300 KB cannot come in one piece: the plugin saw pieces before the end, each passed on as it came
      assertThat(Integer.parseInt(calls.group(1))).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void streamingAndBufferingTheSameBodyIsRefused() throws Exception {
    try (TestUpstream up = Plugins.upstream()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Plugins.gateway(up.address(),
              Plugins.filter("chunks", "responseBody: 1KiB, streamResponseBody: 64KiB")))
          .hasMessageContaining("Route/r: spec.filters[0].config.streamResponseBody: set with responseBody; expected one of them");
    }
  }
}
