package io.sluice.filters.compression;

import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.github.luben.zstd.Zstd;
import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code compression} through the real proxy: the client decodes exactly what the upstream sent. */
class CompressionFilterTest {
  private static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(100);
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static TestUpstream up;
  private static GatewayFixture gw;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> {
      String t = req.target();
      Map<String, String> headers = switch (t) {
        case "/png" -> Map.of("Content-Type", "image/png");
        case "/encoded" -> Map.of("Content-Type", "text/plain", "Content-Encoding", "identity-ish");
        case "/no-transform" -> Map.of("Content-Type", "text/plain", "Cache-Control", "public, no-transform");
        case "/etag" -> Map.of("Content-Type", "text/html", "ETag", "\"v1\"", "Vary", "Origin");
        default -> Map.of("Content-Type", "text/plain; charset=utf-8");
      };
      if (t.equals("/small")) {
        ex.respond(200, headers, "tiny");
      } else if (t.equals("/chunked")) {
        ex.respondChunked(200, headers, List.of(TEXT.substring(0, 1000), TEXT.substring(1000)));
      } else if (t.equals("/empty")) {
        ex.respond(204, Map.of(), "");
      } else {
        ex.respond(200, headers, TEXT);
      }
    });
    gw = Gateways.withRoute(up.address(), """
        match: {path: {prefix: /}}
        filters: [{kind: compression, config: {minSize: 100, maxSize: 64KiB}}]
        """);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
    up.close();
  }

  private static HttpResponse<byte[]> get(String path, String acceptEncoding) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + path));
    if (acceptEncoding != null) b.header("Accept-Encoding", acceptEncoding);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String gunzip(byte[] b) throws Exception {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(b))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void gzipIsChosenWhenItIsTheOnlyOneAcceptedAndDecodesToTheUpstreamBody() throws Exception {
    HttpResponse<byte[]> r = get("/text", "gzip");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
    assertThat(r.headers().allValues("vary")).containsExactly("Accept-Encoding");
    assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(r.body().length));
    assertThat(r.body().length).isLessThan(TEXT.length());
    assertThat(gunzip(r.body())).isEqualTo(TEXT);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
  }

  @Test
  void brotliIsPreferredOnATieAndDecodesExactly() throws Exception {
    Brotli4jLoader.ensureAvailability();
    HttpResponse<byte[]> r = get("/text", "gzip, deflate, br, zstd");
    assertThat(r.headers().firstValue("content-encoding")).hasValue("br");
    byte[] decoded = Decoder.decompress(r.body()).getDecompressedData();
    assertThat(new String(decoded, StandardCharsets.UTF_8)).isEqualTo(TEXT);
  }

  @Test
  void qValuesOutrankTheServerPreference() throws Exception {
    HttpResponse<byte[]> r = get("/text", "br;q=0.5, zstd;q=0.9, gzip;q=0.1");
    assertThat(r.headers().firstValue("content-encoding")).hasValue("zstd");
    byte[] decoded = Zstd.decompress(r.body(), TEXT.length());
    assertThat(new String(decoded, StandardCharsets.UTF_8)).isEqualTo(TEXT);
  }

  @Test
  void aChunkedUpstreamBodyIsCompressedWithAContentLength() throws Exception {
    HttpResponse<byte[]> r = get("/chunked", "gzip");
    assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
    assertThat(r.headers().firstValue("transfer-encoding")).isEmpty();
    assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(r.body().length));
    assertThat(gunzip(r.body())).isEqualTo(TEXT);
  }

  @Test
  void aStrongEtagBecomesWeakAndAnExistingVaryIsKept() throws Exception {
    HttpResponse<byte[]> r = get("/etag", "gzip");
    assertThat(r.headers().firstValue("etag")).hasValue("W/\"v1\"");
    assertThat(r.headers().allValues("vary")).containsExactly("Origin", "Accept-Encoding");
    assertThat(gunzip(r.body())).isEqualTo(TEXT);
  }

  @Test
  void noAcceptableEncodingSendsTheBodyAsItIsWithVary() throws Exception {
    for (String accept : new String[] {null, "identity", "gzip;q=0, br;q=0, zstd;q=0", "*;q=0"}) {
      HttpResponse<byte[]> r = get("/text", accept);
      assertThat(r.headers().firstValue("content-encoding")).isEmpty();
      assertThat(r.headers().allValues("vary")).containsExactly("Accept-Encoding");
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    }
  }

  @Test
  void skippedResponsesAreSentUntouched() throws Exception {
    for (String path : List.of("/png", "/small", "/no-transform")) {
      HttpResponse<byte[]> r = get(path, "gzip");
      assertThat(r.headers().firstValue("content-encoding")).as(path).isEmpty();
      assertThat(r.headers().allValues("vary")).as(path).isEmpty();
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(path).isEqualTo(path.equals("/small") ? "tiny" : TEXT);
    }
    HttpResponse<byte[]> encoded = get("/encoded", "gzip");
    assertThat(encoded.headers().allValues("content-encoding")).containsExactly("identity-ish");
    assertThat(new String(encoded.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    assertThat(get("/empty", "gzip").statusCode()).isEqualTo(204);
    HttpResponse<Void> head = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/text"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.discarding());
    assertThat(head.headers().firstValue("content-encoding")).isEmpty();
    assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(TEXT.length()));
  }

  @Test
  void aBodyOverMaxSizeIsSentUncompressed() throws Exception {
    try (TestUpstream big = TestUpstream.start("big", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), TEXT));
        GatewayFixture small = Gateways.withRoute(big.address(), """
            match: {path: {prefix: /}}
            filters: [{kind: compression, config: {minSize: 10, maxSize: 1000}}]
            """)) {
      HttpResponse<byte[]> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/x"))
          .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.headers().firstValue("content-encoding")).isEmpty();
      assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(TEXT.length()));
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    }
  }

  @Test
  void badConfigIsRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: compression, config: {algorithms: [gzip, deflate, gzip]}}
        - {kind: compression, config: {algorithms: [], contentTypes: [""]}}
        - {kind: compression, config: {minSize: 2KiB, maxSize: 1KiB}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.algorithms[1]: unknown algorithm 'deflate'; expected one of br, zstd, gzip",
        "Route/r: spec.filters[0].config.algorithms[2]: 'gzip' is listed twice",
        "Route/r: spec.filters[1].config.algorithms: empty; expected at least one of br, zstd, gzip",
        "Route/r: spec.filters[1].config.contentTypes[0]: empty; expected a Content-Type prefix such as text/",
        "Route/r: spec.filters[2].config.minSize: minSize (2048 bytes) is larger than maxSize (1024 bytes); nothing would be compressed");
  }
}
