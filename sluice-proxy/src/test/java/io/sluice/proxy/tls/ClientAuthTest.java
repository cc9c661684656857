package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client certificates (mTLS), with curl --cert: accepted, refused, optional. */
class ClientAuthTest {
  static final TestCerts SERVER_CA = TestCerts.ca("server-ca");
  static final TestCerts CLIENT_CA = TestCerts.ca("client-ca");
  static final TestCerts OTHER_CA = TestCerts.ca("other-ca");

  @TempDir Path tmp;

  private static String caSecret(String name, TestCerts ca) {
    return """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: %s}
        spec:
          tls:
            ca: |
        %s
        ---
        """.formatted(name, ca.caCert().certPem().strip().lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElseThrow());
  }

  private String config(String clientAuth, String upstream) {
    return TlsFixture.secret("web", SERVER_CA.leaf("web", "127.0.0.1")) + caSecret("clients", CLIENT_CA)
        + TlsFixture.listener(0, "{certificates: [{secret: web}], clientAuth: " + clientAuth + "}", upstream);
  }

  private TlsFixture.Run curl(int port, TestCerts.@org.jspecify.annotations.Nullable Issued client, String... headers) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--cacert", SERVER_CA.caCert().writeCert(tmp.resolve("server-ca.pem")).toString()));
    if (client != null) {
      Path cert = client.writeCert(tmp.resolve("client.pem"));
      Path key = Files.writeString(tmp.resolve("client.key"), client.keyPem());
      cmd.addAll(List.of("--cert", cert.toString(), "--key", key.toString()));
    }
    for (String h : headers) cmd.addAll(List.of("-H", h));
    cmd.add("https://127.0.0.1:" + port + "/mtls");
    return TlsFixture.run(cmd.toArray(String[]::new));
  }

  @Test
  void requiredClientCertificateIsAcceptedWhenAllowedAndRefusedOtherwise() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "hello " + req.target()));
        GatewayFixture gw = GatewayFixture.start(config("{ca: clients, mode: required, allow: ['CN=alice', 'bob.example']}", up.address()))) {
      TlsFixture.Run alice = curl(gw.port(), CLIENT_CA.leaf("alice"));
      assertThat(alice.exit()).as(alice.output()).isZero();
      assertThat(alice.output()).isEqualTo("hello /mtls");
      TlsFixture.Run bob = curl(gw.port(), CLIENT_CA.leaf("bob", "bob.example"));
      assertThat(bob.exit()).as(bob.output()).isZero();
      assertThat(bob.output()).isEqualTo("hello /mtls");

      TlsFixture.Run none = curl(gw.port(), null);
      assertThat(none.exit()).as(none.output()).isNotZero();
      assertThat(none.output()).doesNotContain("hello");
      TlsFixture.Run carol = curl(gw.port(), CLIENT_CA.leaf("carol"));
      assertThat(carol.exit()).as(carol.output()).isNotZero();
      assertThat(carol.output()).doesNotContain("hello");
      TlsFixture.Run stranger = curl(gw.port(), OTHER_CA.leaf("alice"));
      assertThat(stranger.exit()).as(stranger.output()).isNotZero();
      assertThat(stranger.output()).doesNotContain("hello");
      assertThat(up.received()).hasSize(2);
    }
  }

  @Test
  void theVerifiedClientCertificateIsForwardedInXForwardedClientCertAndTheSchemeIsHttps() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "hello " + req.target()));
        GatewayFixture gw = GatewayFixture.start(config("{ca: clients, mode: optional}", up.address()))) {
      TestCerts.Issued alice = CLIENT_CA.leaf("alice", "alice.example");
      TlsFixture.Run withCert = curl(gw.port(), alice, "X-Forwarded-Client-Cert: Subject=\"CN=admin\"");
      assertThat(withCert.exit()).as(withCert.output()).isZero();
      TestUpstream.Received got = up.take();
      String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(alice.cert().getEncoded()));
      // The client's own field is dropped; the gateway's says who the handshake verified.
      assertThat(got.headerCount("x-forwarded-client-cert")).isEqualTo(1);
      assertThat(got.header("x-forwarded-client-cert")).isEqualTo("Hash=" + hash + ";Subject=\"CN=alice\";DNS=alice.example");
      assertThat(got.header("x-forwarded-proto")).isEqualTo("https");

      TlsFixture.Run without = curl(gw.port(), null, "X-Forwarded-Client-Cert: Subject=\"CN=admin\"");
      assertThat(without.exit()).as(without.output()).isZero();
      TestUpstream.Received anonymous = up.take();
      assertThat(anonymous.header("x-forwarded-client-cert")).isNull();
      assertThat(anonymous.header("x-forwarded-proto")).isEqualTo("https");
    }
  }

  @Test
  void optionalClientCertificateLetsAClientWithoutOneThroughButNotAnInvalidOne() throws Exception {
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "hello " + req.target()));
        GatewayFixture gw = GatewayFixture.start(config("{ca: clients, mode: optional}", up.address()))) {
      TlsFixture.Run none = curl(gw.port(), null);
      assertThat(none.exit()).as(none.output()).isZero();
      assertThat(none.output()).isEqualTo("hello /mtls");
      TlsFixture.Run stranger = curl(gw.port(), OTHER_CA.leaf("mallory"));
      assertThat(stranger.exit()).as(stranger.output()).isNotZero();
    }
  }
}
