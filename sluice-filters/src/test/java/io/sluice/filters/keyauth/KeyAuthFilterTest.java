package io.sluice.filters.keyauth;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Consumers;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyAuthFilterTest {
  private static GatewayFixture gateway(TestUpstream up, String config) throws Exception {
    return Gateways.start(up.address(), Consumers.aliceAndBob()
        + Gateways.route("r", "filters: [{kind: key-auth, config: " + config + "}]"));
  }

  @Test
  void aKnownKeyPassesAsItsConsumerAndTheKeyIsHiddenFromTheUpstream() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{consumerHeader: X-Consumer}")) {
      RawConnection.Response r = get(gw, "/orders", "apikey: alice-key-0001", "X-Consumer: mallory");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      TestUpstream.Received got = up.take();
      assertThat(got.header("apikey")).isNull();
      // the client's own X-Consumer is replaced: the upstream can trust it
      assertThat(Gateways.values(got, "x-consumer")).containsExactly("alice");
      get(gw, "/orders", "ApiKey: bob-key-0002");
      assertThat(up.take().header("x-consumer")).isEqualTo("bob");
    }
  }

  @Test
  void aMissingOrWrongKeyGets401WithAChallengeAndTheUpstreamNothing() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{}")) {
      RawConnection.Response missing = get(gw, "/orders");
      assertThat(missing.status()).isEqualTo(401);
      assertThat(missing.headers()).containsExactly(
          Map.entry("Content-Type", "application/json"),
          Map.entry("X-Sluice-Reason", "unauthorized"),
          Map.entry("WWW-Authenticate", "Key realm=\"sluice\""),
          Map.entry("Content-Length", "67"));
      assertThat(missing.body()).isEqualTo("{\"status\":401,\"reason\":\"unauthorized\",\"message\":\"missing API key\"}\n");
      RawConnection.Response wrong = get(gw, "/orders", "apikey: alice-key-0002");
      assertThat(wrong.status()).isEqualTo(401);
      assertThat(wrong.body()).isEqualTo("{\"status\":401,\"reason\":\"unauthorized\",\"message\":\"invalid API key\"}\n");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aKeyInTheQueryIsAcceptedWhenConfiguredAndRemovedFromIt() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{query: key, realm: shop}")) {
      assertThat(get(gw, "/a?x=1&key=bob-key-0002&y=2").status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/a?x=1&y=2");
      assertThat(get(gw, "/b?key=alice-key-0001").status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/b");
      // the header is still read first
      assertThat(get(gw, "/c?key=nope", "apikey: alice-key-0001").status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/c");
      RawConnection.Response r = get(gw, "/d?key=nope");
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.header("www-authenticate")).isEqualTo("Key realm=\"shop\"");
    }
  }

  @Test
  void onlyTheListedConsumersPass() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{consumers: [bob]}")) {
      RawConnection.Response r = get(gw, "/x", "apikey: alice-key-0001");
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("x-sluice-reason")).isEqualTo("consumer_forbidden");
      assertThat(get(gw, "/x", "apikey: bob-key-0002").status()).isEqualTo(200);
      assertThat(up.received()).hasSize(1);
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
