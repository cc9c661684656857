package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Route filters behave over HTTP/2 as over HTTP/1.1: header edits both ways, local answers, async phases, streamed bodies. */
class Http2FiltersTest {
  @TempDir Path tmp;

  private static String route(String name, String prefix, String filters) {
    return """
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match: {path: {prefix: %s}}
          upstream: backend
          filters:
        %s
        """.formatted(name, prefix, filters.indent(4).stripTrailing());
  }

  @Test
  void filtersEditHeadersAnswerLocallyWaitAndStreamBodiesForH2cClients() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(),
            req.target().startsWith("/stream") ? "response body" : "trace=" + req.header("X-Trace") + " body=" + req.bodyText()));
        GatewayFixture gw = GatewayFixture.start(H2Fixture.plain(0, up.address(), "")
            .replace("""
                kind: Route
                metadata: {name: all}
                spec:
                  upstream: backend
                """, """
                kind: Route
                metadata: {name: all}
                spec:
                  match: {path: {prefix: /nothing-else}}
                  upstream: backend
                """)
            + route("mark", "/mark", "- {kind: test-mark, config: {mark: m1}}")
            + route("deny", "/deny", "- {kind: test-result, config: {result: denied, status: 403, body: no entry}}")
            + route("async", "/async", "- {kind: test-async, config: {delay: 50ms, response: true}}")
            + route("stream", "/stream", "- {kind: test-stream, config: {mode: upper, request: true, response: true}}"))) {
      String base = "http://127.0.0.1:" + gw.port();

      H2Fixture.Run mark = H2Fixture.run("curl", "-sS", "-i", "--http2-prior-knowledge", base + "/mark");
      assertThat(mark.output()).startsWith("HTTP/2 200").contains("x-trace: m1").endsWith("trace=m1 body=");

      H2Fixture.Run deny = H2Fixture.run("curl", "-sS", "-i", "--http2-prior-knowledge", base + "/deny");
      assertThat(deny.output()).startsWith("HTTP/2 403").contains("x-answered-by: test-result").endsWith("no entry");

      H2Fixture.Run async = H2Fixture.run("curl", "-sS", "-i", "--http2-prior-knowledge", base + "/async");
      assertThat(async.output()).startsWith("HTTP/2 200").contains("x-async-response: late-200");

      Path body = Files.writeString(tmp.resolve("b.txt"), "hello over h2");
      up.received().clear();
      H2Fixture.Run stream = H2Fixture.run("curl", "-sS", "--http2-prior-knowledge", "--data-binary", "@" + body, base + "/stream");
      assertThat(stream.output()).isEqualTo("RESPONSE BODY");
      TestUpstream.Received got = up.take();
      assertThat(got.bodyText()).isEqualTo("HELLO OVER H2");
      assertThat(got.header("Transfer-Encoding")).isEqualTo("chunked");
    }
  }
}
