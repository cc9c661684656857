package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the proxy changes in the headers on the way, in both directions, and what it keeps. */
class HeadersTest {
  private static final List<String> HOP_BY_HOP = List.of(
      "connection", "keep-alive", "proxy-connection", "te", "upgrade", "proxy-authorization", "proxy-authenticate",
      "transfer-encoding");

  private static TestUpstream ok() throws Exception {
    return TestUpstream.start("a", (req, ex) -> ex.respond(200, Map.of(), "ok " + req.target()));
  }

  private static GatewayFixture gateway(TestUpstream up) throws Exception {
    return GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
  }

  /** A gateway with one route: {@code prefix} rewritten to {@code pathPrefix}, and optionally a host rewrite. */
  private static GatewayFixture rewriting(TestUpstream up, String prefix, String rewrite) throws Exception {
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
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          match: {path: {prefix: "%s"}}
          rewrite: %s
          upstream: backend
        """.formatted(0, up.address(), prefix, rewrite));
  }

  private static RawConnection.Response get(RawConnection c, String target, String host) throws Exception {
    c.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    return c.readResponse();
  }

  @Test
  void hopByHopRequestHeadersAndThoseNamedInConnectionAreRemoved() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /h HTTP/1.1\r\n"
          + "Host: a\r\n"
          + "Connection: keep-alive, X-Hop-One, x-hop-two\r\n"
          + "Keep-Alive: timeout=5\r\n"
          + "Proxy-Connection: keep-alive\r\n"
          + "TE: trailers\r\n"
          // A protocol the gateway does not upgrade to (Upgrade: websocket without Connection: upgrade
          // is a broken WebSocket handshake, answered 400: see WebSocketTest).
          + "Upgrade: h2c\r\n"
          + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
          + "X-Hop-One: 1\r\n"
          + "X-Hop-Two: 2\r\n"
          + "X-End-To-End: kept\r\n"
          + "Authorization: Bearer t\r\n"
          + "\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
      TestUpstream.Received got = up.take();
      for (String h : HOP_BY_HOP) assertThat(got.header(h)).as(h).isNull();
      assertThat(got.header("x-hop-one")).isNull();
      assertThat(got.header("x-hop-two")).isNull();
      assertThat(got.header("x-end-to-end")).isEqualTo("kept");
      assertThat(got.header("authorization")).isEqualTo("Bearer t");
      // and the client connection stays open: keep-alive was the client's wish, not a header to forward
      c.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
  }

  @Test
  void hopByHopResponseHeadersAndThoseNamedInConnectionAreRemoved() throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Connection", "X-Up-Hop, keep-alive");
    headers.put("Keep-Alive", "timeout=30");
    headers.put("Proxy-Connection", "keep-alive");
    headers.put("TE", "trailers");
    headers.put("Upgrade", "h2c");
    headers.put("Proxy-Authenticate", "Basic realm=x");
    headers.put("Proxy-Authorization", "Basic x");
    headers.put("X-Up-Hop", "gone");
    headers.put("X-Up-Kept", "here");
    headers.put("Set-Cookie", "s=1");
    try (TestUpstream up = TestUpstream.start("a", (req, ex) -> ex.respond(200, headers, "body"));
        GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      RawConnection.Response r = get(c, "/", "a");
      assertThat(r.status()).isEqualTo(200);
      for (String h : HOP_BY_HOP) assertThat(r.header(h)).as(h).isNull();
      assertThat(r.header("x-up-hop")).isNull();
      assertThat(r.header("x-up-kept")).isEqualTo("here");
      assertThat(r.header("set-cookie")).isEqualTo("s=1");
      assertThat(r.header("content-length")).isEqualTo("4");
      assertThat(r.body()).isEqualTo("body");
      assertThat(get(c, "/2", "a").status()).isEqualTo(200);
    }
  }

  @Test
  void xForwardedForIsAppendedToAnExistingValue() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n");
      c.readResponse();
      TestUpstream.Received got = up.take();
      assertThat(got.header("x-forwarded-for")).isEqualTo("1.2.3.4, 127.0.0.1");
      assertThat(got.headerCount("x-forwarded-for")).isEqualTo(1);
    }
  }

  @Test
  void severalXForwardedForFieldsAreJoinedInOrderIntoOne() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8\r\nx-forwarded-for: 9.9.9.9\r\n\r\n");
      c.readResponse();
      TestUpstream.Received got = up.take();
      assertThat(got.header("x-forwarded-for")).isEqualTo("1.2.3.4, 5.6.7.8, 9.9.9.9, 127.0.0.1");
      assertThat(got.headerCount("x-forwarded-for")).isEqualTo(1);
    }
  }

  @Test
  void forwardedHeadersAreSetFromTheConnectionNotFromTheClient() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: shop.example.com:8443\r\nX-Forwarded-Proto: https\r\n"
          + "X-Forwarded-Host: evil.example\r\n\r\n");
      c.readResponse();
      TestUpstream.Received got = up.take();
      assertThat(got.header("x-forwarded-for")).isEqualTo("127.0.0.1");
      assertThat(got.header("x-forwarded-proto")).isEqualTo("http");
      assertThat(got.headerCount("x-forwarded-proto")).isEqualTo(1);
      assertThat(got.header("x-forwarded-host")).isEqualTo("shop.example.com:8443");
      assertThat(got.headerCount("x-forwarded-host")).isEqualTo(1);
    }
  }

  @Test
  void aClientsXForwardedClientCertIsNeverForwarded() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Client-Cert: Subject=\"CN=admin\"\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
      assertThat(up.take().header("x-forwarded-client-cert")).isNull();
    }
  }

  @Test
  void theGatewayAddsItsOwnViaAfterTheReceivedOnes() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\nVia: 1.0 fred, 1.1 p.example\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
      List<String> via = up.take().headers().stream().filter(h -> h.getKey().equalsIgnoreCase("via")).map(Map.Entry::getValue).toList();
      assertThat(via).hasSize(2);
      assertThat(via.get(0)).isEqualTo("1.0 fred, 1.1 p.example");
      assertThat(via.get(1)).matches("1\\.1 sluice-[0-9a-f]{8}");
    }
  }

  @Test
  void aRouteWhoseUpstreamIsTheGatewayItselfGets508InsteadOfLooping() throws Exception {
    try (GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, "127.0.0.1:" + GatewayFixture.closedPort()))) {
      // The upstream is the listener's own port, known once it is bound.
      gw.reload(GatewayFixture.simpleProxy(0, "127.0.0.1:" + gw.port()));
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(508);
        assertThat(r.header("X-Sluice-Reason")).isEqualTo("loop_detected");
        assertThat(r.body()).contains("a route's upstream leads back to listener");
        // the connection is still good for the next request
        c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().status()).isEqualTo(508);
      }
    }
  }

  @Test
  void requestIdIsKeptWhenPresentAndAddedWhenAbsent() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /1 HTTP/1.1\r\nHost: a\r\nX-Request-Id: my-id-42\r\n\r\n");
      c.readResponse();
      TestUpstream.Received kept = up.take();
      assertThat(kept.header("x-request-id")).isEqualTo("my-id-42");
      assertThat(kept.headerCount("x-request-id")).isEqualTo(1);

      get(c, "/2", "a");
      get(c, "/3", "a");
      String first = up.take().header("x-request-id");
      String second = up.take().header("x-request-id");
      assertThat(first).matches("[0-9a-f]{32}");
      assertThat(second).matches("[0-9a-f]{32}");
      assertThat(first).isNotEqualTo(second);
    }
  }

  @Test
  void hostIsKeptAsTheClientSentIt() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      get(c, "/", "Api.Example.com:1234");
      TestUpstream.Received got = up.take();
      assertThat(got.header("host")).isEqualTo("Api.Example.com:1234");
      assertThat(got.headerCount("host")).isEqualTo(1);
      assertThat(got.rawHead()).startsWith("GET / HTTP/1.1\r\nHost: Api.Example.com:1234\r\n");
    }
  }

  @Test
  void absoluteFormTargetIsSentInOriginFormWithItsAuthorityAsHost() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET http://origin.example:81/p/q?x=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("ok /p/q?x=1");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/p/q?x=1");
      assertThat(got.header("host")).isEqualTo("origin.example:81");
      assertThat(got.headerCount("host")).isEqualTo(1);
    }
  }

  @Test
  void hostRewriteReplacesTheHostAndKeepsTheClientsInXForwardedHost() throws Exception {
    try (TestUpstream up = ok();
        GatewayFixture gw = rewriting(up, "/", "{host: internal.svc:8080}");
        RawConnection c = RawConnection.open(gw.port())) {
      get(c, "/x", "public.example.com");
      TestUpstream.Received got = up.take();
      assertThat(got.header("host")).isEqualTo("internal.svc:8080");
      assertThat(got.headerCount("host")).isEqualTo(1);
      assertThat(got.header("x-forwarded-host")).isEqualTo("public.example.com");
      assertThat(got.target()).isEqualTo("/x");
    }
  }

  @Test
  void pathPrefixRewriteToRootStripsThePrefixAndKeepsTheQuery() throws Exception {
    try (TestUpstream up = ok();
        GatewayFixture gw = rewriting(up, "/api", "{pathPrefix: /}");
        RawConnection c = RawConnection.open(gw.port())) {
      assertThat(get(c, "/api/x?q=1", "a").body()).isEqualTo("ok /x?q=1");
      assertThat(get(c, "/api", "a").body()).isEqualTo("ok /");
      assertThat(get(c, "/api/", "a").body()).isEqualTo("ok /");
      assertThat(get(c, "/api/a/b/c?x=1&y=2", "a").body()).isEqualTo("ok /a/b/c?x=1&y=2");
      assertThat(get(c, "/api?only=query", "a").body()).isEqualTo("ok /?only=query");
      assertThat(up.take().target()).isEqualTo("/x?q=1");
      assertThat(up.take().target()).isEqualTo("/");
    }
  }

  @Test
  void pathPrefixRewriteToAnotherPrefix() throws Exception {
    try (TestUpstream up = ok();
        GatewayFixture gw = rewriting(up, "/api/", "{pathPrefix: /v2}");
        RawConnection c = RawConnection.open(gw.port())) {
      assertThat(get(c, "/api/x?q=1", "a").body()).isEqualTo("ok /v2/x?q=1");
      assertThat(get(c, "/api", "a").body()).isEqualTo("ok /v2");
      assertThat(get(c, "/api/users/7", "a").body()).isEqualTo("ok /v2/users/7");
    }
  }

  @Test
  void pathPrefixRewriteWithATrailingSlashReplacement() throws Exception {
    try (TestUpstream up = ok();
        GatewayFixture gw = rewriting(up, "/old", "{pathPrefix: /new/}");
        RawConnection c = RawConnection.open(gw.port())) {
      assertThat(get(c, "/old/x", "a").body()).isEqualTo("ok /new/x");
      assertThat(get(c, "/old", "a").body()).isEqualTo("ok /new/");
    }
  }

  @Test
  void targetWithDotSegmentsIsNormalisedBeforeItIsSent() throws Exception {
    try (TestUpstream up = ok(); GatewayFixture gw = gateway(up); RawConnection c = RawConnection.open(gw.port())) {
      assertThat(get(c, "/a/./b/../c?z=1", "a").body()).isEqualTo("ok /a/c?z=1");
    }
  }
}
