package io.sluice.filters.basicauth;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Consumers;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.bcrypt.BCrypt;

class BasicAuthFilterTest {
  private static String basic(String credentials) {
    return "Authorization: Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  private static GatewayFixture gateway(TestUpstream up, String config) throws Exception {
    return Gateways.start(up.address(), Consumers.aliceAndBob()
        + Consumers.consumer("zoe", "basicAuth: {username: zoë, password: \"pässwörd\"}")
        + Gateways.route("r", "filters: [{kind: basic-auth, config: " + config + "}]"));
  }

  @Test
  void validCredentialsPassAsTheirConsumerAndTheAuthorizationIsHidden() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{consumerHeader: X-Consumer}")) {
      assertThat(get(gw, "/", basic("alice:wonderland")).status()).isEqualTo(200);
      TestUpstream.Received got = up.take();
      assertThat(got.header("authorization")).isNull();
      assertThat(got.header("x-consumer")).isEqualTo("alice");
      // a password may contain ':'; only the first one separates the user name
      assertThat(get(gw, "/", basic("bob:b0b:pw")).status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("bob");
      // UTF-8 user names and passwords
      assertThat(get(gw, "/", basic("zoë:pässwörd")).status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("zoe");
    }
  }

  @Test
  void missingMalformedOrWrongCredentialsGet401WithABasicChallenge() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{realm: admin}")) {
      String[][] cases = {
          {}, {"Authorization: Bearer abc"}, {"Authorization: Basic !!!"}, {basic("alice")},
          {basic("alice:Wonderland")}, {basic("mallory:wonderland")}, {basic("alice:wonderland ")}};
      for (String[] headers : cases) {
        RawConnection.Response r = get(gw, "/", headers);
        assertThat(r.status()).as(String.join(",", headers)).isEqualTo(401);
        assertThat(r.header("www-authenticate")).isEqualTo("Basic realm=\"admin\", charset=\"UTF-8\"");
        assertThat(r.header("x-sluice-reason")).isEqualTo("unauthorized");
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void theAuthorizationIsKeptWhenAsked() throws Exception {
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, "{hideCredentials: false, consumers: [alice]}")) {
      assertThat(get(gw, "/", basic("alice:wonderland")).status()).isEqualTo(200);
      assertThat(up.take().header("authorization")).isEqualTo("Basic " + Base64.getEncoder().encodeToString("alice:wonderland".getBytes()));
      RawConnection.Response bob = get(gw, "/", basic("bob:b0b:pw"));
      assertThat(bob.status()).isEqualTo(403);
      assertThat(bob.header("x-sluice-reason")).isEqualTo("consumer_forbidden");
    }
  }

  @Test
  void aBcryptPasswordHashAuthenticatesOffTheLoopAndRemembersASuccess() throws Exception {
    String hash = BCrypt.hashpw("s3cret pass", BCrypt.gensalt(4)).replace("$2a$", "$2y$");
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.start(up.address(), Consumers.consumer("carol", "basicAuth: {username: carol, passwordHash: '" + hash + "'}")
            + Gateways.route("r", "filters: [{kind: basic-auth, config: {consumerHeader: X-Consumer}}]"))) {
      assertThat(get(gw, "/", basic("carol:s3cret pass")).status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("carol");
      // the second time from memory, the same answer
      assertThat(get(gw, "/", basic("carol:s3cret pass")).status()).isEqualTo(200);
      assertThat(up.take().header("x-consumer")).isEqualTo("carol");
      RawConnection.Response wrong = get(gw, "/", basic("carol:s3cret pas"));
      assertThat(wrong.status()).isEqualTo(401);
      assertThat(wrong.header("X-Sluice-Reason")).isEqualTo("unauthorized");
      // the hash itself is not a password
      assertThat(get(gw, "/", basic("carol:" + hash)).status()).isEqualTo(401);
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aPasswordHashMustBeBcryptOfABoundedCostAndNotBesideAPassword() throws Exception {
    String good = BCrypt.hashpw("x", BCrypt.gensalt(4));
    String expensive = BCrypt.hashpw("x", BCrypt.gensalt(4)).replace("$04$", "$15$");
    assertThat(Configs.routeErrors("- {kind: basic-auth}",
        Consumers.consumer("a", "basicAuth: {username: a, passwordHash: 'md5:abc'}"),
        Consumers.consumer("b", "basicAuth: {username: b, passwordHash: '" + expensive + "'}"),
        Consumers.consumer("c", "basicAuth: {username: c, password: pw, passwordHash: '" + good + "'}"),
        Consumers.consumer("d", "basicAuth: {username: d}")))
        .containsExactlyInAnyOrder(
            "Consumer/a: spec.basicAuth.passwordHash: not a bcrypt hash: expected $2y$<cost>$ and 53 characters of salt and hash,"
                + " as 'htpasswd -nbB user password' prints after the colon",
            "Consumer/b: spec.basicAuth.passwordHash: bcrypt cost 15 is out of range: expected 4 to 14 (each new login costs 2^cost rounds)",
            "Consumer/c: spec.basicAuth: both password and passwordHash are set; expected one of them",
            "Consumer/d: spec.basicAuth.password: missing; expected the password the consumer sends, or a passwordHash");
  }
}
