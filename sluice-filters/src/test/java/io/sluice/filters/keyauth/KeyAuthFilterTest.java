package io.sluice.filters.keyauth;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigSet;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.filter.Attributes;
import io.sluice.filter.testing.ClientResponse;
import io.sluice.filter.testing.FilterHarness;
import io.sluice.filter.testing.HeaderField;
import io.sluice.filter.testing.TestExchange;
import io.sluice.filter.testing.TestRequest;
import io.sluice.filter.testing.TestResponse;
import io.sluice.filter.testing.UpstreamRequest;
import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Consumers;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawWebSocket;
import io.sluice.proxy.testing.WebSocketEchoServer;
import io.sluice.proxy.testing.TestUpstream;
import org.junit.jupiter.api.Test;

class KeyAuthFilterTest {
  private static FilterHarness harness(String config) {
    try {
      ConfigSet consumers = ConfigSet.of(ObjectCodec.readYaml("consumers.yaml", Consumers.aliceAndBob()));
      return FilterHarness.builder(new KeyAuthFilterFactory()).configSet(consumers).config(config).build();
    } catch (ConfigException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aKnownKeyPassesAsItsConsumerAndTheKeyIsHiddenFromTheUpstream() {
    try (FilterHarness h = harness("{consumerHeader: X-Consumer}")) {
      TestExchange x = h.run(TestRequest.builder("GET", "/orders").header("apikey", "alice-key-0001")
          .header("X-Consumer", "mallory").build());
      assertThat(x.answered()).isFalse();
      assertThat(x.attribute(Attributes.CONSUMER).name()).isEqualTo("alice");
      UpstreamRequest got = x.upstreamRequest();
      assertThat(got.header("apikey")).isNull();
      // the client's own X-Consumer is replaced: the upstream can trust it
      assertThat(got.headerValues("x-consumer")).containsExactly("alice");
      assertThat(x.upstreamResponds(TestResponse.builder(200).body("text/plain", "ok").build()).bodyText()).isEqualTo("ok");
      UpstreamRequest bob = h.run(TestRequest.builder("GET", "/orders").header("ApiKey", "bob-key-0002").build()).upstreamRequest();
      assertThat(bob.header("x-consumer")).isEqualTo("bob");
    }
  }

  @Test
  void aMissingOrWrongKeyGets401WithAChallengeAndTheUpstreamNothing() {
    try (FilterHarness h = harness("{}")) {
      TestExchange missing = h.run(TestRequest.get("/orders"));
      assertThat(missing.answered()).isTrue();
      assertThat(missing.result().name()).isEqualTo("unauthorized");
      assertThat(missing.response().status()).isEqualTo(401);
      assertThat(missing.response().headers()).containsExactly(
          new HeaderField("Content-Type", "application/json"),
          new HeaderField("X-Sluice-Reason", "unauthorized"),
          new HeaderField("WWW-Authenticate", "Key realm=\"sluice\""),
          new HeaderField("Content-Length", "67"));
      assertThat(missing.response().bodyText()).isEqualTo("{\"status\":401,\"reason\":\"unauthorized\",\"message\":\"missing API key\"}\n");
      TestExchange wrong = h.run(TestRequest.builder("GET", "/orders").header("apikey", "alice-key-0002").build());
      assertThat(wrong.response().status()).isEqualTo(401);
      assertThat(wrong.response().bodyText()).isEqualTo("{\"status\":401,\"reason\":\"unauthorized\",\"message\":\"invalid API key\"}\n");
      assertThat(wrong.attribute(Attributes.CONSUMER)).isNull();
    }
  }

  @Test
  void aKeyInTheQueryIsAcceptedWhenConfiguredAndRemovedFromIt() {
    try (FilterHarness h = harness("{query: key, realm: shop}")) {
      assertThat(h.run(TestRequest.get("/a?x=1&key=bob-key-0002&y=2")).upstreamRequest().target()).isEqualTo("/a?x=1&y=2");
      assertThat(h.run(TestRequest.get("/b?key=alice-key-0001")).upstreamRequest().target()).isEqualTo("/b");
      // the header is still read first
      assertThat(h.run(TestRequest.builder("GET", "/c?key=nope").header("apikey", "alice-key-0001").build())
          .upstreamRequest().target()).isEqualTo("/c");
      ClientResponse r = h.run(TestRequest.get("/d?key=nope")).response();
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.header("www-authenticate")).isEqualTo("Key realm=\"shop\"");
    }
  }

  @Test
  void onlyTheListedConsumersPass() {
    try (FilterHarness h = harness("{consumers: [bob]}")) {
      ClientResponse r = h.run(TestRequest.builder("GET", "/x").header("apikey", "alice-key-0001").build()).response();
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("x-sluice-reason")).isEqualTo("consumer_forbidden");
      assertThat(h.run(TestRequest.builder("GET", "/x").header("apikey", "bob-key-0002").build()).answered()).isFalse();
    }
  }

  @Test
  void refusesAWebSocketHandshakeWithoutAKeyBeforeTheUpstreamIsContacted() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = Gateways.start(echo.address(), Consumers.aliceAndBob() + Gateways.route("r", """
            filters:
              - {kind: key-auth, config: {consumerHeader: X-Consumer}}
            """))) {
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/chat"))) {
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.responseHead).contains("WWW-Authenticate: Key realm=\"sluice\"\r\n");
        assertThat(r.body()).isEqualTo("{\"status\":401,\"reason\":\"unauthorized\",\"message\":\"missing API key\"}\n");
      }
      assertThat(echo.requests()).isZero();
      // With the key, the same handshake becomes a tunnel, and the upstream learns who it is.
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/chat", "apikey: alice-key-0001"))) {
        assertThat(r.status()).isEqualTo(101);
        r.sendText("hi");
        assertThat(r.read().text()).isEqualTo("hi");
      }
      assertThat(echo.handshakes()).hasSize(1);
      assertThat(echo.handshakes().getFirst()).containsEntry("x-consumer", "alice").doesNotContainKey("apikey");
    }
  }

  @Test
  void anUnknownKeyCanFallBackToBasicAuthInAFlow() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.start(up.address(), Consumers.aliceAndBob() + """
            apiVersion: sluice.io/v1
            kind: Pipeline
            metadata: {name: auth}
            spec:
              filters:
                - {kind: key-auth, name: key, config: {consumerHeader: X-Consumer}, onResult: {unauthorized: basic}}
                - {kind: basic-auth, name: basic, config: {consumerHeader: X-Consumer}}
            ---
            """ + Gateways.route("r", "pipeline: auth"))) {
      assertThat(get(gw, "/", "apikey: bob-key-0002").status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("bob");
      String alice = java.util.Base64.getEncoder().encodeToString("alice:wonderland".getBytes());
      assertThat(get(gw, "/", "Authorization: Basic " + alice).status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("alice");
      RawConnection.Response neither = get(gw, "/");
      assertThat(neither.status()).isEqualTo(401);
      assertThat(neither.header("www-authenticate")).isEqualTo("Basic realm=\"sluice\", charset=\"UTF-8\"");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void configErrorsAndUnknownConsumersAreRefused() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: key-auth, config: {header: "bad header", consumerHeader: Content-Length, consumers: [alice, ghost]}}
        - {kind: key-auth, config: {consumers: [alice, ghost]}}
        """, Consumers.consumer("alice", "keyAuth: {key: alice-key-0001}"))).containsExactly(
        "Route/r: spec.filters[0].config.header: invalid header name 'bad header': expected a token such as x-api-key",
        "Route/r: spec.filters[0].config.consumerHeader: header Content-Length frames the message and is written by "
            + "the gateway; filters cannot set or remove it",
        "Route/r: spec.filters[1].config.consumers[1]: Consumer 'ghost' does not exist");
  }

  @Test
  void consumersWithTheSameKeyOrTooShortAKeyAreRefused() throws Exception {
    assertThat(Configs.routeErrors("- {kind: key-auth}",
        Consumers.consumer("a", "keyAuth: {key: same-key-123}"),
        Consumers.consumer("b", "keyAuth: {key: same-key-123}"),
        Consumers.consumer("c", "keyAuth: {key: short}"),
        Consumers.consumer("d", "rateLimit: {requests: 5}"))).containsExactly(
        "Consumer/c: spec.keyAuth.key: too short: 5 characters, expected at least 8",
        "Consumer/b: spec.keyAuth.key: the same key as Consumer/a; keys must be unique");
  }
}
