package io.sluice.filters.jwt;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Consumers;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JwtFilterTest {
  private static final String ISSUER = "https://login.test/";
  /** 64 bytes: enough for HS512. */
  private static final String SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  private static KeyPair rsa;
  private static KeyPair otherRsa;
  private static KeyPair p256;
  private static KeyPair p384;
  private static KeyPair p521;

  @BeforeAll
  static void keys() throws Exception {
    rsa = Tokens.rsa();
    otherRsa = Tokens.rsa();
    p256 = Tokens.ec("secp256r1");
    p384 = Tokens.ec("secp384r1");
    p521 = Tokens.ec("secp521r1");
  }

  private static GatewayFixture gateway(TestUpstream up, String config) throws Exception {
    return Gateways.start(up.address(), Consumers.aliceAndBob()
        + Gateways.route("r", "filters: [{kind: jwt, config: " + config + "}]"));
  }

  private static String bearer(String token) {
    return "Authorization: Bearer " + token;
  }

  private static String body401(String description) {
    return "{\"status\":401,\"reason\":\"invalid_token\",\"message\":\"" + description + "\"}\n";
  }

  private static void assertInvalid(RawConnection.Response r, String description) {
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.headers()).containsExactly(
        Map.entry("Content-Type", "application/json"),
        Map.entry("X-Sluice-Reason", "invalid_token"),
        Map.entry("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"invalid_token\", error_description=\""
            + description + "\""),
        Map.entry("Content-Length", Integer.toString(body401(description).length())));
    assertThat(r.body()).isEqualTo(body401(description));
  }

  @Test
  void hmacTokensOfEverySizeVerifyWithTheSharedSecretAndClaimsGoUpstream() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", secret: " + SECRET + "}], "
            + "claimsToHeaders: {sub: X-User-Id, roles: X-Roles}}")) {
      JWSSigner signer = Tokens.signer(SECRET);
      for (JWSAlgorithm alg : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
        String token = Tokens.sign(signer, alg, "any", Tokens.claims(ISSUER, "user-" + alg,
            b -> b.claim("roles", List.of("admin", "ops"))));
        RawConnection.Response r = get(gw, "/orders", bearer(token), "X-User-Id: forged", "X-Roles: root");
        assertThat(r.status()).as(alg.getName()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        TestUpstream.Received got = up.take();
        // the client's own values are replaced by the token's
        assertThat(Gateways.values(got, "x-user-id")).containsExactly("user-" + alg);
        assertThat(Gateways.values(got, "x-roles")).containsExactly("admin,ops");
        // the token goes on unless hideCredentials
        assertThat(got.header("authorization")).isEqualTo("Bearer " + token);
      }
    }
  }

  @Test
  void rsaAndEcTokensOfEveryFamilyVerifyWithPemPublicKeys() throws Exception {
    String keys = "[\"" + Tokens.pemForYaml(rsa) + "\", \"" + Tokens.pemForYaml(p256) + "\", \""
        + Tokens.pemForYaml(p384) + "\", \"" + Tokens.pemForYaml(p521) + "\"]";
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", publicKeys: " + keys + "}], "
            + "claimsToHeaders: {sub: X-User-Id}}")) {
      Map<JWSAlgorithm, KeyPair> cases = Map.of(
          JWSAlgorithm.RS256, rsa, JWSAlgorithm.RS384, rsa, JWSAlgorithm.RS512, rsa, JWSAlgorithm.PS256, rsa,
          JWSAlgorithm.ES256, p256, JWSAlgorithm.ES384, p384, JWSAlgorithm.ES512, p521);
      for (Map.Entry<JWSAlgorithm, KeyPair> c : cases.entrySet()) {
        String token = Tokens.sign(Tokens.signer(c.getValue()), c.getKey(), "pem", Tokens.claims(ISSUER, c.getKey().getName()));
        RawConnection.Response r = get(gw, "/", bearer(token));
        assertThat(r.status()).as(c.getKey().getName()).isEqualTo(200);
        assertThat(up.take().header("x-user-id")).isEqualTo(c.getKey().getName());
      }
      // signed by a key the issuer does not have
      String forged = Tokens.sign(Tokens.signer(otherRsa), JWSAlgorithm.RS256, "pem", Tokens.claims(ISSUER, "mallory"));
      assertInvalid(get(gw, "/", bearer(forged)), "invalid signature");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void jwksKeysVerifyTokensByKidAndTokensWithoutAKid() throws Exception {
    try (JwksServer jwks = new JwksServer(Tokens.jwks(Tokens.jwk(rsa, "rsa-1"), Tokens.jwk(p256, "ec-1")));
        TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", jwks: {url: \"" + jwks.url() + "\"}}]}")) {
      String rs = Tokens.sign(Tokens.signer(rsa), JWSAlgorithm.RS256, "rsa-1", Tokens.claims(ISSUER, "a"));
      String es = Tokens.sign(Tokens.signer(p256), JWSAlgorithm.ES256, "ec-1", Tokens.claims(ISSUER, "b"));
      String noKid = Tokens.sign(Tokens.signer(p256), JWSAlgorithm.ES256, null, Tokens.claims(ISSUER, "c"));
      assertThat(get(gw, "/", bearer(rs)).status()).isEqualTo(200);
      assertThat(get(gw, "/", bearer(es)).status()).isEqualTo(200);
      assertThat(get(gw, "/", bearer(noKid)).status()).isEqualTo(200);
      assertThat(up.received()).hasSize(3);
      assertThat(jwks.fetches()).isEqualTo(1);
      // A kid naming a key that cannot verify the token's alg (EC for RS256) counts as unknown: one more fetch.
      String crossed = Tokens.sign(Tokens.signer(rsa), JWSAlgorithm.RS256, "ec-1", Tokens.claims(ISSUER, "d"));
      assertInvalid(get(gw, "/", bearer(crossed)), "unknown signing key");
      assertThat(jwks.fetches()).isEqualTo(2);
    }
  }

  @Test
  void anUnknownKidFetchesTheSetAgainAtMostOncePerMinRefetch() throws Exception {
    KeyPair next = Tokens.rsa();
    try (JwksServer jwks = new JwksServer(Tokens.jwks(Tokens.jwk(rsa, "k1")));
        TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", jwks: {url: \"" + jwks.url()
            + "\", minRefetch: 1h}}]}")) {
      assertThat(get(gw, "/", bearer(Tokens.sign(Tokens.signer(rsa), JWSAlgorithm.RS256, "k1", Tokens.claims(ISSUER, "a"))))
          .status()).isEqualTo(200);
      assertThat(jwks.fetches()).isEqualTo(1);
      String k2 = Tokens.sign(Tokens.signer(next), JWSAlgorithm.RS256, "k2", Tokens.claims(ISSUER, "b"));
      // unknown: fetched again, still unknown
      assertInvalid(get(gw, "/", bearer(k2)), "unknown signing key");
      assertThat(jwks.fetches()).isEqualTo(2);
      // the issuer publishes k2 now, but the next fetch for an unknown kid is an hour away
      jwks.serve(Tokens.jwks(Tokens.jwk(rsa, "k1"), Tokens.jwk(next, "k2")));
      assertInvalid(get(gw, "/", bearer(k2)), "unknown signing key");
      String k3 = Tokens.sign(Tokens.signer(next), JWSAlgorithm.RS256, "k3", Tokens.claims(ISSUER, "b"));
      assertInvalid(get(gw, "/", bearer(k3)), "unknown signing key");
      assertThat(jwks.fetches()).isEqualTo(2);
      assertThat(up.received()).hasSize(1);
    }
  }

  @Test
  void aRotatedKeyIsPickedUpByTheFetchItsKidTriggers() throws Exception {
    KeyPair next = Tokens.rsa();
    try (JwksServer jwks = new JwksServer(Tokens.jwks(Tokens.jwk(rsa, "k1")));
        TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", jwks: {url: \"" + jwks.url()
            + "\", minRefetch: 1h}}]}")) {
      String k1 = Tokens.sign(Tokens.signer(rsa), JWSAlgorithm.RS256, "k1", Tokens.claims(ISSUER, "a"));
      assertThat(get(gw, "/", bearer(k1)).status()).isEqualTo(200);
      jwks.serve(Tokens.jwks(Tokens.jwk(next, "k2")));
      String k2 = Tokens.sign(Tokens.signer(next), JWSAlgorithm.RS256, "k2", Tokens.claims(ISSUER, "b"));
      assertThat(get(gw, "/", bearer(k2)).status()).isEqualTo(200);
      assertThat(jwks.fetches()).isEqualTo(2);
      // k1 is gone from the set now
      assertInvalid(get(gw, "/", bearer(k1)), "unknown signing key");
      assertThat(up.received()).hasSize(2);
    }
  }

  @Test
  void keysOlderThanRefreshAreFetchedAgainInTheBackground() throws Exception {
    KeyPair next = Tokens.rsa();
    try (JwksServer jwks = new JwksServer(Tokens.jwks(Tokens.jwk(rsa, "k1")));
        TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", jwks: {url: \"" + jwks.url()
            + "\", refresh: 200ms, minRefetch: 1h}}]}")) {
      String k1 = Tokens.sign(Tokens.signer(rsa), JWSAlgorithm.RS256, "k1", Tokens.claims(ISSUER, "a"));
      assertThat(get(gw, "/", bearer(k1)).status()).isEqualTo(200);
      // use up the one fetch for an unknown kid
      String unknown = Tokens.sign(Tokens.signer(next), JWSAlgorithm.RS256, "nope", Tokens.claims(ISSUER, "b"));
      assertInvalid(get(gw, "/", bearer(unknown)), "unknown signing key");
      jwks.serve(Tokens.jwks(Tokens.jwk(next, "k2")));
      String k2 = Tokens.sign(Tokens.signer(next), JWSAlgorithm.RS256, "k2", Tokens.claims(ISSUER, "b"));
      await().atMost(Duration.ofSeconds(10)).until(() -> get(gw, "/", bearer(k2)).status() == 200);
    }
  }

  @Test
  void aJwksThatCannotBeFetchedAnswers503() throws Exception {
    String url = "http://127.0.0.1:" + GatewayFixture.closedPort() + "/jwks.json";
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", jwks: {url: \"" + url + "\"}}]}")) {
      String token = Tokens.sign(Tokens.signer(rsa), JWSAlgorithm.RS256, "k1", Tokens.claims(ISSUER, "a"));
      RawConnection.Response r = get(gw, "/", bearer(token));
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.header("x-sluice-reason")).isEqualTo("jwks_unavailable");
      assertThat(r.body()).isEqualTo("{\"status\":503,\"reason\":\"jwks_unavailable\",\"message\":\"the signing keys of "
          + "issuer https://login.test/ could not be fetched\"}\n");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void badTokensGet401InvalidTokenSayingWhy() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", audiences: [orders], publicKeys: [\""
            + Tokens.pemForYaml(rsa) + "\"]}], clockSkew: 30s}")) {
      JWSSigner signer = Tokens.signer(rsa);
      Instant now = Instant.now();
      String ok = Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a", b -> b.audience("orders")));
      assertThat(get(gw, "/", bearer(ok)).status()).isEqualTo(200);
      String withinSkew = Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a",
          b -> b.audience(List.of("other", "orders")).expirationTime(Date.from(now.minusSeconds(10)))
              .notBeforeTime(Date.from(now.plusSeconds(10)))));
      assertThat(get(gw, "/", bearer(withinSkew)).status()).isEqualTo(200);
      assertThat(up.received()).hasSize(2);
      up.received().clear();

      assertInvalid(get(gw, "/", bearer(Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a",
          b -> b.audience("orders").expirationTime(Date.from(now.minusSeconds(60))))))), "token expired");
      assertInvalid(get(gw, "/", bearer(Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a",
          b -> b.audience("orders").notBeforeTime(Date.from(now.plusSeconds(120))))))), "token not yet valid");
      assertInvalid(get(gw, "/", bearer(Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a",
          b -> b.audience("billing"))))), "token not issued for this audience");
      assertInvalid(get(gw, "/", bearer(Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a")))),
          "token not issued for this audience");
      assertInvalid(get(gw, "/", bearer(Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims(ISSUER, "a",
          b -> b.audience("orders").expirationTime(null))))), "token has no expiration time");
      assertInvalid(get(gw, "/", bearer(Tokens.sign(signer, JWSAlgorithm.RS256, null, Tokens.claims("https://evil.test/", "a",
          b -> b.audience("orders"))))), "unknown issuer");
      assertInvalid(get(gw, "/", bearer(Tokens.sign(Tokens.signer(otherRsa), JWSAlgorithm.RS256, null,
          Tokens.claims(ISSUER, "a", b -> b.audience("orders"))))), "invalid signature");
      // Algorithm confusion: an HMAC token "signed" with the issuer's public key as the secret.
      String confused = Tokens.sign(new MACSigner(rsa.getPublic().getEncoded()), JWSAlgorithm.HS256, null,
          Tokens.claims(ISSUER, "a", b -> b.audience("orders")));
      assertInvalid(get(gw, "/", bearer(confused)), "algorithm not allowed");
      // alg: none, and a token whose payload was changed after signing
      String payload = Base64URL.encode("{\"iss\":\"" + ISSUER + "\",\"sub\":\"a\",\"aud\":\"orders\",\"exp\":9999999999}")
          .toString();
      String none = Base64URL.encode("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "." + payload + ".";
      assertInvalid(get(gw, "/", bearer(none)), "malformed token");
      String[] parts = ok.split("\\.");
      assertInvalid(get(gw, "/", bearer(parts[0] + "." + payload + "." + parts[2])), "invalid signature");
      assertInvalid(get(gw, "/", bearer("not-a-jwt")), "malformed token");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aMissingTokenGetsAChallengeWithoutAnError() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: a, secret: " + SECRET + "}], realm: shop}")) {
      for (String[] headers : List.of(new String[0], new String[] {"Authorization: Basic YWxpY2U6eA=="})) {
        RawConnection.Response r = get(gw, "/", headers);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.headers()).containsExactly(
            Map.entry("Content-Type", "application/json"),
            Map.entry("X-Sluice-Reason", "unauthorized"),
            Map.entry("WWW-Authenticate", "Bearer realm=\"shop\""),
            Map.entry("Content-Length", "72"));
        assertThat(r.body()).isEqualTo("{\"status\":401,\"reason\":\"unauthorized\",\"message\":\"missing bearer token\"}\n");
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void tokensMapToConsumersByClaimOrByIssuer() throws Exception {
    String billing = "0123456789abcdef0123456789abcdef-billing";
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", secret: " + SECRET + "}, "
            + "{issuer: billing, secret: " + billing + ", consumer: bob}], consumerClaim: sub, consumerHeader: X-Consumer}")) {
      String alice = Tokens.sign(Tokens.signer(SECRET), JWSAlgorithm.HS256, null, Tokens.claims(ISSUER, "alice"));
      assertThat(get(gw, "/", bearer(alice), "X-Consumer: bob").status()).isEqualTo(200);
      assertThat(Gateways.values(up.take(), "x-consumer")).containsExactly("alice");
      String service = Tokens.sign(Tokens.signer(billing), JWSAlgorithm.HS256, null, Tokens.claims("billing", "svc-7"));
      assertThat(get(gw, "/", bearer(service)).status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("bob");
      String stranger = Tokens.sign(Tokens.signer(SECRET), JWSAlgorithm.HS256, null, Tokens.claims(ISSUER, "mallory"));
      assertInvalid(get(gw, "/", bearer(stranger)), "token does not name a known consumer");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void onlyTheListedConsumersPassAndTheTokenCanBeHiddenOrComeInTheQuery() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = gateway(up, "{issuers: [{issuer: \"" + ISSUER + "\", secret: " + SECRET + "}], "
            + "consumerClaim: sub, consumers: [alice], hideCredentials: true, query: access_token}")) {
      String alice = Tokens.sign(Tokens.signer(SECRET), JWSAlgorithm.HS256, null, Tokens.claims(ISSUER, "alice"));
      String bob = Tokens.sign(Tokens.signer(SECRET), JWSAlgorithm.HS256, null, Tokens.claims(ISSUER, "bob"));
      assertThat(get(gw, "/a", bearer(alice)).status()).isEqualTo(200);
      assertThat(up.take().header("authorization")).isNull();
      assertThat(get(gw, "/b?x=1&access_token=" + alice).status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/b?x=1");
      RawConnection.Response r = get(gw, "/c", bearer(bob));
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("x-sluice-reason")).isEqualTo("consumer_forbidden");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aRequestAnEarlierFilterAuthenticatedPassesWithoutTheClientsClaimHeaders() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.start(up.address(), Consumers.aliceAndBob() + """
            apiVersion: sluice.io/v1
            kind: Pipeline
            metadata: {name: auth}
            spec:
              filters:
                - {kind: key-auth, name: key, onResult: {unauthorized: jwt}}
                - kind: jwt
                  name: jwt
                  config: {issuers: [{issuer: "%s", secret: %s}], claimsToHeaders: {sub: X-User-Id}, consumerHeader: X-Consumer}
            ---
            """.formatted(ISSUER, SECRET) + Gateways.route("r", "pipeline: auth"))) {
      assertThat(get(gw, "/", "apikey: alice-key-0001", "X-User-Id: forged", "X-Consumer: bob").status()).isEqualTo(200);
      TestUpstream.Received byKey = up.take();
      assertThat(byKey.header("x-user-id")).isNull();
      assertThat(Gateways.values(byKey, "x-consumer")).containsExactly("alice");
      String token = Tokens.sign(Tokens.signer(SECRET), JWSAlgorithm.HS256, null, Tokens.claims(ISSUER, "user-9"));
      assertThat(get(gw, "/", bearer(token), "X-User-Id: forged").status()).isEqualTo(200);
      TestUpstream.Received byToken = up.take();
      assertThat(Gateways.values(byToken, "x-user-id")).containsExactly("user-9");
      assertThat(byToken.header("x-consumer")).isNull();
      RawConnection.Response neither = get(gw, "/");
      assertThat(neither.status()).isEqualTo(401);
      assertThat(neither.header("www-authenticate")).isEqualTo("Bearer realm=\"sluice\"");
    }
  }

  @Test
  void badConfigsAreRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: jwt}
        - kind: jwt
          config:
            issuers:
              - {issuer: a, secret: short, algorithms: [HS512, RS256, XX1]}
              - {issuer: a, publicKeys: ["-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"], consumer: ghost}
              - {issuer: b, jwks: {url: "ftp://x/jwks", refresh: 0s}}
              - {issuer: c}
            claimsToHeaders: {sub: Content-Length}
            consumers: [alice]
        """, Consumers.consumer("alice", "keyAuth: {key: alice-key-0001}"))).containsExactly(
        "Route/r: spec.filters[0].config.issuers: missing; expected at least one issuer with its keys, such as "
            + "{issuer: https://login.example.com/, jwks: {url: https://login.example.com/jwks.json}}",
        "Route/r: spec.filters[1].config.issuers[0].secret: too short: 5 bytes, expected at least 32",
        "Route/r: spec.filters[1].config.issuers[0].algorithms[0]: HS512 cannot be verified with this issuer's keys; "
            + "it needs a secret of at least 64 bytes",
        "Route/r: spec.filters[1].config.issuers[0].algorithms[1]: RS256 cannot be verified with this issuer's keys; "
            + "it needs an RSA public key or jwks",
        "Route/r: spec.filters[1].config.issuers[0].algorithms[2]: unknown algorithm 'XX1'; expected one of HS256, HS384, "
            + "HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512",
        "Route/r: spec.filters[1].config.issuers[1].issuer: 'a' is listed twice; issuers must be unique",
        "Route/r: spec.filters[1].config.issuers[1].publicKeys[0]: not an RSA or EC public key",
        "Route/r: spec.filters[1].config.issuers[2].jwks.url: expected an absolute http or https URL, got 'ftp://x/jwks'",
        "Route/r: spec.filters[1].config.issuers[2].jwks.refresh: expected a duration above zero, got PT0S",
        "Route/r: spec.filters[1].config.issuers[3]: no keys; expected secret, publicKeys or jwks",
        "Route/r: spec.filters[1].config.claimsToHeaders.sub: header Content-Length frames the message and is written by "
            + "the gateway; filters cannot set or remove it",
        "Route/r: spec.filters[1].config.consumers: set, but tokens are not mapped to Consumers; expected consumerClaim, "
            + "or a consumer on every issuer");
  }

  @Test
  void consumersAnIssuerNamesMustExist() throws Exception {
    assertThat(Configs.routeErrors("- {kind: jwt, config: {issuers: [{issuer: a, secret: " + SECRET + ", consumer: ghost}]}}"))
        .containsExactly("Route/r: spec.filters[0].config.issuers[0].consumer: Consumer 'ghost' does not exist");
  }
}
