package io.sluice.proxy.filter;

import static io.sluice.proxy.filter.FilterSpiTest.gateway;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Filter#bufferResponseBody()} and {@link Filter#onResponseBody} through the real proxy. */
class ResponseBodySpiTest {
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

  private static final String UPPER = route("[{kind: test-response-body, config: {limit: 16, upper: true}}]");

  private static RawConnection.Response get(RawConnection c, String target) throws Exception {
    c.send("GET " + target + " HTTP/1.1\r\nHost: test.local\r\n\r\n");
    return c.readResponse();
  }

  @Test
  void aContentLengthBodyIsReplacedAndSentWithItsNewLengthOnAKeptAliveConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "hello"));
        GatewayFixture gw = gateway(up.address(), route("[{kind: test-response-body, config: {limit: 16}}, "
            + "{kind: test-response-body, config: {limit: 16, upper: true}}]"));
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 2; i++) {
        RawConnection.Response r = get(c, "/a");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("HELLO");
        assertThat(r.header("content-length")).isEqualTo("5");
        // Reverse order: the upper-casing filter ran first, then the outer one saw its body.
        assertThat(r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase("x-response-body-length")).map(Map.Entry::getValue).toList())
            .containsExactly("5");
        assertThat(r.header("content-type")).isEqualTo("text/plain");
      }
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void theBodyPhaseSetsTheStatusOfTheUpstreamsResponse() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "hello"));
        GatewayFixture gw = gateway(up.address(), route("[{kind: test-response-body, config: {limit: 16, status: 418}}]"));
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/a");
      assertThat(r.status()).isEqualTo(418);
      assertThat(r.body()).isEqualTo("hello");
      assertThat(r.header("content-type")).isEqualTo("text/plain");
      assertThat(r.header("x-response-body-length")).isEqualTo("5");
    }
  }

  @Test
  void aChunkedBodyIsDechunkedAndSentWithAContentLength() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respondChunked(200, Map.of("X-Up", "1"), List.of("ab", "cd", "e")));
        GatewayFixture gw = gateway(up.address(), UPPER);
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/a");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ABCDE");
      assertThat(r.header("content-length")).isEqualTo("5");
      assertThat(r.hasHeader("transfer-encoding")).isFalse();
      assertThat(r.header("x-response-body-length")).isEqualTo("5");
      assertThat(r.header("x-up")).isEqualTo("1");
      // The connection stays usable.
      assertThat(get(c, "/b").body()).isEqualTo("ABCDE");
    }
  }

  @Test
  void anEmptyBodyStillGetsTheBodyPhase() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), ""));
        GatewayFixture gw = gateway(up.address(), UPPER);
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/a");
      assertThat(r.body()).isEmpty();
      assertThat(r.header("content-length")).isEqualTo("0");
      assertThat(r.header("x-response-body-length")).isEqualTo("0");
    }
  }

  @Test
  void aContentLengthOverTheLimitStreamsUnmodified() throws Exception {
    String big = "abcdefghijklmnopqrstuvwxyz";
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), big));
        GatewayFixture gw = gateway(up.address(), UPPER);
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/a");
      assertThat(r.body()).isEqualTo(big);
      assertThat(r.header("content-length")).isEqualTo("26");
      assertThat(r.hasHeader("x-response-body-length")).isFalse();
      assertThat(get(c, "/b").body()).isEqualTo(big);
    }
  }

  @Test
  void aChunkedBodyGrowingOverTheLimitStreamsUnmodifiedAndTheConnectionCloses() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respondChunked(200, Map.of(), List.of("0123456789", "abcdefghij", "KLM")));
        GatewayFixture gw = gateway(up.address(), UPPER);
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/a");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("0123456789abcdefghijKLM");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(r.hasHeader("x-response-body-length")).isFalse();
    }
  }

  @Test
  void aCloseDelimitedBodyIsCollectedWhenTheUpstreamCloses() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway(raw.address(), UPPER);
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        u.readHead();
        u.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close");
      }
      RawConnection.Response r = c.readResponse();
      assertThat(r.body()).isEqualTo("UNTIL-CLOSE");
      assertThat(r.header("content-length")).isEqualTo("11");
    }
  }

  @Test
  void headRequestsAndNoContentResponsesHaveNoBodyPhase() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> {
          if (req.target().equals("/none")) {
            ex.respond(204, Map.of(), "");
          } else {
            ex.respond(200, Map.of(), "hello");
          }
        });
        GatewayFixture gw = gateway(up.address(), UPPER);
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("HEAD /a HTTP/1.1\r\nHost: test.local\r\n\r\n");
      RawConnection.Response h = c.readHeadResponse();
      assertThat(h.header("content-length")).isEqualTo("5");
      assertThat(h.hasHeader("x-response-body-length")).isFalse();
      RawConnection.Response n = get(c, "/none");
      assertThat(n.status()).isEqualTo(204);
      assertThat(n.hasHeader("x-response-body-length")).isFalse();
    }
  }

  @Test
  void aDirectResponseBodyGoesThroughTheBodyPhase() throws Exception {
    try (GatewayFixture gw = gateway("127.0.0.1:9", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: mock}
        spec:
          directResponse: {status: 201, body: "made"}
          filters: [{kind: test-response-body, config: {limit: 16, upper: true}}]
        """);
        RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/x");
      assertThat(r.status()).isEqualTo(201);
      assertThat(r.body()).isEqualTo("MADE");
      assertThat(r.header("content-length")).isEqualTo("4");
      assertThat(r.header("x-response-body-length")).isEqualTo("4");
    }
  }
}
