package io.sluice.proxy.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** The filter SPI through the real proxy: order, async, short-circuit, body buffering, edits, flows, global filters. */
class FilterSpiTest {
  /** An upstream that answers 200 "ok" with X-Upstream: yes. */
  private static TestUpstream upstream() throws Exception {
    return TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("X-Upstream", "yes", "Content-Type", "text/plain"), "ok"));
  }

  /** A listener "main", an upstream "backend" at {@code address}, and {@code objects} (YAML documents). */
  static GatewayFixture gateway(String address, String objects) throws Exception {
    return GatewayFixture.start("""
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
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 5s}
        ---
        """.formatted(0, address) + objects);
  }

  private static String route(String name, String prefix, String body) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match: {path: {prefix: %s}}
          upstream: backend
        %s
        ---
        """.formatted(name, prefix, body.indent(2).stripTrailing());
  }

  private static RawConnection.Response get(GatewayFixture gw, String target, String... headers) throws Exception {
    try (RawConnection c = RawConnection.open(gw.port())) {
      StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: test.local\r\n");
      for (String h : headers) req.append(h).append("\r\n");
      c.send(req.append("\r\n").toString());
      return c.readResponse();
    }
  }

  private static List<String> values(RawConnection.Response r, String name) {
    return r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
  }

  private static List<String> values(TestUpstream.Received r, String name) {
    return r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
  }

  @Test
  void requestPhasesRunInOrderAndResponsePhasesInReverse() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, config: {mark: a}}
              - {kind: test-mark, config: {mark: b}}
              - {kind: test-mark, config: {mark: c}}
            """))) {
      RawConnection.Response r = get(gw, "/x");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      assertThat(values(r, "x-trace")).containsExactly("c", "b", "a");
      assertThat(r.header("x-upstream")).isEqualTo("yes");
      TestUpstream.Received got = up.take();
      assertThat(values(got, "x-trace")).containsExactly("a", "b", "c");
      assertThat(got.target()).isEqualTo("/x");
    }
  }

  @Test
  void asyncResultResumesTheChainOnTheEventLoop() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, config: {mark: before}}
              - {kind: test-async, config: {delay: 100ms, response: true}}
              - {kind: test-mark, config: {mark: after}}
            """))) {
      RawConnection.Response r = get(gw, "/a");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      assertThat(r.header("x-async-response")).isEqualTo("late-200");
      assertThat(values(r, "x-trace")).containsExactly("after", "before");
      TestUpstream.Received got = up.take();
      // The blocking part ran on a virtual thread, the edit on the loop; then the chain went on.
      assertThat(got.header("x-async")).isEqualTo("done-on-virtual");
      assertThat(values(got, "x-trace")).containsExactly("before", "after");
    }
  }

  @Test
  void asyncFailureAnswers500FilterError() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-async, config: {fail: true}}
            """))) {
      RawConnection.Response r = get(gw, "/a");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.header("x-sluice-reason")).isEqualTo("filter_error");
      assertThat(r.body()).isEqualTo("{\"status\":500,\"reason\":\"filter_error\",\"message\":\"filter Route/r spec.filters[0] (test-async) failed\"}\n");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aShortCircuitSkipsTheUpstreamAndLaterFiltersButEarlierOnesSeeTheResponse() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, config: {mark: a}}
              - {kind: test-result, config: {result: denied, status: 403, body: "go away\\n"}}
              - {kind: test-mark, config: {mark: never}}
            """))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(r.headers()).containsExactly(
            Map.entry("X-Answered-By", "test-result"),
            Map.entry("Content-Type", "text/plain"),
            Map.entry("X-Trace", "a"),
            Map.entry("Content-Length", "8"));
        assertThat(r.body()).isEqualTo("go away\n");
        // the connection stays usable
        c.send("HEAD /y HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response head = c.readHeadResponse();
        assertThat(head.status()).isEqualTo(403);
        assertThat(head.header("content-length")).isEqualTo("8");
      }
      assertThat(up.received()).isEmpty();
      assertThat(up.connectionsAccepted()).isZero();
    }
  }

  @Test
  void aShortCircuitWithABodyPendingDiscardsTheBodyAndKeepsTheConnection() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-result, config: {result: denied, status: 401}}
            """))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(c.readResponse().status()).isEqualTo(401);
        c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(401);
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aBufferedBodyIsForwardedExactlyWithAContentLength() throws Exception {
    byte[] body = new byte[100_000];
    for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 31);
    CRC32 crc = new CRC32();
    crc.update(body);
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, config: {mark: a}}
              - {kind: test-body, config: {limit: 1MiB}}
            """))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        // chunked, in three chunks and several writes
        c.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        int[] cuts = {0, 30_000, 70_000, body.length};
        for (int k = 0; k < 3; k++) {
          int n = cuts[k + 1] - cuts[k];
          c.send(Integer.toHexString(n) + "\r\n");
          c.send(java.util.Arrays.copyOfRange(body, cuts[k], cuts[k + 1]));
          c.send("\r\n");
        }
        c.send("0\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
        TestUpstream.Received got = up.take();
        assertThat(got.header("content-length")).isEqualTo("100000");
        assertThat(got.header("transfer-encoding")).isNull();
        assertThat(got.bodyLength()).isEqualTo(100_000);
        assertThat(got.bodyCrc32()).isEqualTo(crc.getValue());
        assertThat(got.header("x-body-length")).isEqualTo("100000");
        assertThat(got.header("x-body-crc")).isEqualTo(Long.toString(crc.getValue()));
        // Content-Length body, then a pipelined request on the same connection
        c.send("POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
        assertThat(c.readResponse().status()).isEqualTo(200);
        TestUpstream.Received two = up.take();
        assertThat(two.bodyText()).isEqualTo("abc");
        assertThat(two.header("content-length")).isEqualTo("3");
        assertThat(two.header("x-body-crc")).isEqualTo(crc32("abc"));
        TestUpstream.Received three = up.take();
        assertThat(three.target()).isEqualTo("/three");
        assertThat(three.header("x-body-length")).isEqualTo("0");
        assertThat(three.header("content-length")).isNull();
      }
    }
  }

  private static String crc32(String s) {
    CRC32 c = new CRC32();
    c.update(s.getBytes(StandardCharsets.UTF_8));
    return Long.toString(c.getValue());
  }

  @Test
  void aBufferedBodyWithExpectContinueGets100ContinueThenIsForwarded() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", "filters: [{kind: test-body, config: {limit: 1KiB}}]"))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(100);
        c.send("data");
        assertThat(c.readResponse().status()).isEqualTo(200);
        TestUpstream.Received got = up.take();
        assertThat(got.bodyText()).isEqualTo("data");
        assertThat(got.header("expect")).isNull();
      }
    }
  }

  @Test
  void aBodyBeyondTheBufferLimitGets413AndTheUpstreamNothing() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, config: {mark: a}}
              - {kind: test-body, config: {limit: 10}}
            """))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
        assertThat(r.header("x-trace")).isEqualTo("a");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n");
        c.send("5\r\nghijk\r\n0\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      assertThat(up.take().bodyText()).isEqualTo("0123456789");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aReplacedBodyIsSentWithItsLength() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters: [{kind: test-body, config: {limit: 1KiB, replace: "{\\"replaced\\":true}"}}]
            """))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      TestUpstream.Received got = up.take();
      assertThat(got.bodyText()).isEqualTo("{\"replaced\":true}");
      assertThat(got.header("content-length")).isEqualTo("17");
      assertThat(got.header("x-body-length")).isEqualTo("3");
    }
  }

  @Test
  void requestEditsReachTheUpstreamAndResponseEditsTheClient() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200,
            Map.of("X-Drop", "1", "X-Keep", "2", "Content-Type", "text/plain"), "ok"));
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - kind: test-edit
                config:
                  method: PATCH
                  path: /new/p%20ath
                  query: a=1&b=2
                  authority: backend.internal:8443
                  set: {X-Set: v1, X-Forwarded-Proto: https, X-Request-Id: fixed-id}
                  remove: [x-remove-me, x-forwarded-for]
                  setResponse: {X-Added: yes}
                  removeResponse: [x-drop]
            """))) {
      RawConnection.Response r = get(gw, "/old?q=9", "X-Remove-Me: 1", "X-Other: o", "X-Forwarded-For: 10.9.9.9", "X-Set: old");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-drop")).isNull();
      assertThat(r.header("x-keep")).isEqualTo("2");
      assertThat(r.header("x-added")).isEqualTo("yes");
      TestUpstream.Received got = up.take();
      assertThat(got.method()).isEqualTo("PATCH");
      assertThat(got.target()).isEqualTo("/new/p%20ath?a=1&b=2");
      assertThat(got.header("host")).isEqualTo("backend.internal:8443");
      assertThat(values(got, "x-set")).containsExactly("v1");
      assertThat(got.header("x-remove-me")).isNull();
      assertThat(got.header("x-other")).isEqualTo("o");
      // the client's X-Forwarded-For was removed, so only the gateway's hop is left
      assertThat(got.header("x-forwarded-for")).isEqualTo("127.0.0.1");
      assertThat(got.header("x-forwarded-proto")).isEqualTo("https");
      assertThat(values(got, "x-request-id")).containsExactly("fixed-id");
      assertThat(got.header("x-forwarded-host")).isEqualTo("test.local");
    }
  }

  @Test
  void aFilterWritingAFramingHeaderFailsWith500() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters: [{kind: test-edit, config: {set: {Content-Length: "5"}}}]
            """))) {
      RawConnection.Response r = get(gw, "/x");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.header("x-sluice-reason")).isEqualTo("filter_error");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aResponseFilterCanReplaceTheUpstreamsResponse() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(500, Map.of(), "upstream secret"));
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, config: {mark: outer}}
              - {kind: test-edit, config: {replaceStatus: 503}}
            """))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("replaced\n");
        assertThat(r.header("x-trace")).isEqualTo("outer");
        c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(503);
      }
      assertThat(up.received()).hasSize(2);
    }
  }

  @Test
  void aFilterThatThrowsGets500AndIsNamed() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", """
            filters:
              - {kind: test-mark, name: m, config: {mark: a}}
              - {kind: test-fail, name: broken}
            """))) {
      RawConnection.Response r = get(gw, "/x");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.body()).isEqualTo("{\"status\":500,\"reason\":\"filter_error\",\"message\":\"filter Route/r spec.filters[1] (broken) failed\"}\n");
      assertThat(r.header("x-trace")).isEqualTo("a");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void directResponseRoutesRunFiltersInBothPhases() throws Exception {
    try (GatewayFixture gw = gateway("127.0.0.1:9", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: mock}
        spec:
          directResponse: {status: 201, body: "made\\n", headers: {x-mock: "1"}}
          filters: [{kind: test-mark, config: {mark: m}}]
        """)) {
      RawConnection.Response r = get(gw, "/x");
      assertThat(r.status()).isEqualTo(201);
      assertThat(r.body()).isEqualTo("made\n");
      assertThat(r.header("x-mock")).isEqualTo("1");
      assertThat(r.header("x-trace")).isEqualTo("m");
    }
  }

  @Test
  void limitBodySizeRefusesALargerContentLengthAtOnceAndAChunkedBodyMidStream() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", "filters: [{kind: test-edit, config: {limitBody: 8}}]"))) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
      assertThat(up.received()).isEmpty();
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n");
        c.send("5\r\nfghij\r\n0\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(413);
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nabcdefgh\r\n0\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
    }
  }

  // ---- flows

  @Test
  void pipelineFlowJumpsOnNamedResults() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), """
            apiVersion: sluice.io/v1
            kind: Pipeline
            metadata: {name: flow}
            spec:
              filters:
                - {kind: test-mark, config: {mark: p1}}
                - {kind: test-result, name: check, config: {result: skip}, onResult: {skip: p4}}
                - {kind: test-mark, name: p3, config: {mark: p3}}
                - {kind: test-mark, name: p4, config: {mark: p4}}
            ---
            apiVersion: sluice.io/v1
            kind: Pipeline
            metadata: {name: deny-or-end}
            spec:
              filters:
                - {kind: test-result, name: deny, config: {result: denied, status: 401}, onResult: {denied: END}}
                - {kind: test-mark, name: skipped, config: {mark: skipped}}
            ---
            apiVersion: sluice.io/v1
            kind: Pipeline
            metadata: {name: deny}
            spec:
              filters:
                - {kind: test-result, config: {result: denied, status: 401}, onResult: {other: END}}
                - {kind: test-mark, config: {mark: skipped}}
            ---
            """ + route("jump", "/jump", "pipeline: flow\nfilters: [{kind: test-mark, config: {mark: own}}]")
            + route("end", "/end", "pipeline: deny-or-end\nfilters: [{kind: test-mark, config: {mark: own}}]")
            + route("deny", "/deny", "pipeline: deny"))) {
      assertThat(get(gw, "/jump").status()).isEqualTo(200);
      assertThat(values(up.take(), "x-trace")).containsExactly("p1", "p4", "own");
      // END skips the rest of the pipeline (dropping the 401); the route's own filters still run
      assertThat(get(gw, "/end").status()).isEqualTo(200);
      assertThat(values(up.take(), "x-trace")).containsExactly("own");
      // a result without a jump for it sends its response
      RawConnection.Response denied = get(gw, "/deny");
      assertThat(denied.status()).isEqualTo(401);
      assertThat(denied.header("x-answered-by")).isEqualTo("test-result");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void globalFiltersRunBeforeAndAfterAndRoutesOverrideOrDisableThem() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), """
            apiVersion: sluice.io/v1
            kind: GlobalFilter
            metadata: {name: edge}
            spec:
              listeners: [main]
              before: [{kind: test-mark, name: g-before, config: {mark: g-before}}]
              after: [{kind: test-mark, name: g-after, config: {mark: g-after}}]
            ---
            """ + route("plain", "/plain", "filters: [{kind: test-mark, config: {mark: own}}]")
            + route("none", "/none", "hosts: []")
            + route("disabled", "/disabled", "disableGlobal: [g-before]\nfilters: [{kind: test-mark, config: {mark: own}}]")
            + route("override", "/override", "filters: [{kind: test-mark, name: g-after, config: {mark: mine}}]"))) {
      RawConnection.Response plain = get(gw, "/plain");
      assertThat(values(plain, "x-trace")).containsExactly("g-after", "own", "g-before");
      assertThat(values(up.take(), "x-trace")).containsExactly("g-before", "own", "g-after");
      get(gw, "/none");
      assertThat(values(up.take(), "x-trace")).containsExactly("g-before", "g-after");
      get(gw, "/disabled");
      assertThat(values(up.take(), "x-trace")).containsExactly("own", "g-after");
      get(gw, "/override");
      assertThat(values(up.take(), "x-trace")).containsExactly("g-before", "mine");
    }
  }

  @Test
  void globalFiltersApplyOnlyToTheListenersTheyName() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), """
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: other}
            spec: {address: "127.0.0.1:%d"}
            ---
            apiVersion: sluice.io/v1
            kind: GlobalFilter
            metadata: {name: edge}
            spec:
              listeners: [other]
              before: [{kind: test-mark, config: {mark: g}}]
            ---
            """.formatted(0) + route("r", "/", "filters: [{kind: test-mark, config: {mark: own}}]"))) {
      get(gw, "/x");
      assertThat(values(up.take(), "x-trace")).containsExactly("own");
      try (RawConnection c = RawConnection.open(gw.port("other"))) {
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      assertThat(values(up.take(), "x-trace")).containsExactly("g", "own");
    }
  }

  @Test
  void sharedStateSurvivesAReload() throws Exception {
    String objects = route("r", "/", "filters: [{kind: test-consumers, name: counter}]");
    try (TestUpstream up = upstream(); GatewayFixture gw = gateway(up.address(), objects)) {
      get(gw, "/1");
      get(gw, "/2");
      assertThat(up.take().header("x-count")).isEqualTo("1");
      assertThat(up.take().header("x-count")).isEqualTo("2");
      String before = java.nio.file.Files.readString(gw.configDir().resolve("config.yaml"));
      gw.reload(before.replace("match: {path: {prefix: /}}", "match: {path: {prefix: /}}\n  priority: 3"));
      get(gw, "/3");
      assertThat(up.take().header("x-count")).isEqualTo("3");
    }
  }

  // ---- validation

  @Test
  void aBadFilterConfigIsRefusedNamingTheFileObjectAndField() throws Exception {
    String yaml = """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec: {endpoints: [{address: "127.0.0.1:9"}]}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: orders}
        spec:
          upstream: backend
          filters:
            - {kind: test-mark, config: {mark: a}}
            - {kind: test-mark, config: {mark: b, marks: [x, ""]}}
            - {kind: test-mark, config: {mark: c, colour: red}}
            - {kind: test-mark, config: {marks: 5}}
            - {kind: no-such-kind}
            - {kind: test-result, name: r, config: {result: x}, onResult: {x: nowhere, y: r}}
            - {kind: test-consumers, config: {consumers: [ghost]}}
        """;
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("routes.yaml", yaml);
    List<ConfigError> errors = Validator.validate(objects);
    assertThat(errors).extracting(ConfigError::toString).containsExactly(
        "routes.yaml:13:54: Route/orders: spec.filters[1].config.marks[1]: empty; expected a mark",
        "routes.yaml:14:43: Route/orders: spec.filters[2].config.colour: unknown field 'colour' (known fields: mark, marks)",
        "routes.yaml:15:34: Route/orders: spec.filters[3].config.marks: expected a list, got a number 5",
        "routes.yaml:16:8: Route/orders: spec.filters[4].kind: unknown filter kind 'no-such-kind'; expected one of "
            + "test-async, test-body, test-call, test-consumers, test-edit, test-fail, test-mark, test-pending, test-response-body, test-result, test-stream",
        "routes.yaml:17:68: Route/orders: spec.filters[5].onResult.x: 'nowhere' is not a filter of spec.filters; "
            + "expected the name of a later filter in spec.filters, or END",
        "routes.yaml:17:80: Route/orders: spec.filters[5].onResult.y: 'r' is not after this filter; a jump only goes "
            + "forward (so a flow cannot loop), expected a later filter or END",
        "routes.yaml:18:51: Route/orders: spec.filters[6].config.consumers[0]: Consumer 'ghost' does not exist");
  }

  @Test
  void theGatewayRefusesABadFilterConfigAndKeepsServing() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), route("r", "/", "filters: [{kind: test-mark, config: {mark: a}}]"))) {
      String good = java.nio.file.Files.readString(gw.configDir().resolve("config.yaml"));
      assertThatThrownBy(() -> gw.reload(good.replace("{mark: a}", "{mark: a, marks: [\"\"]}")))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("Route/r: spec.filters[0].config.marks[0]: empty; expected a mark");
      assertThat(get(gw, "/x").status()).isEqualTo(200);
      assertThat(values(up.take(), "x-trace")).containsExactly("a");
    }
  }

  @Test
  void referencesIncludePipelinesAndTheConsumersFilterConfigsName() throws Exception {
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("x.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: backend
          pipeline: auth
          filters: [{kind: test-consumers, config: {consumers: [alice, bob]}}]
        ---
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: auth}
        spec:
          filters: [{kind: test-consumers, config: {consumers: [carol]}}]
        ---
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: g}
        spec:
          listeners: [main]
          before: [{kind: test-consumers, config: {consumers: [dave]}}]
        """);
    assertThat(objects.get(0).spec().references()).containsExactly(
        new ObjectRef(Kind.UPSTREAM, "backend"), new ObjectRef(Kind.PIPELINE, "auth"),
        new ObjectRef(Kind.CONSUMER, "alice"), new ObjectRef(Kind.CONSUMER, "bob"));
    assertThat(objects.get(1).spec().references()).containsExactly(new ObjectRef(Kind.CONSUMER, "carol"));
    assertThat(objects.get(2).spec().references()).containsExactly(
        new ObjectRef(Kind.LISTENER, "main"), new ObjectRef(Kind.CONSUMER, "dave"));
  }
}
