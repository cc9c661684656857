package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestCerts;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS to upstreams ({@code Upstream spec.tls}): an HTTPS upstream reached through a plain-HTTP
 * listener, verified against a CA Secret by name, with SNI, client certificates and versions; its
 * failures as 502s with their reasons; a TLS change never served by a connection made before it.
 */
class UpstreamTlsTest {
  static final TestCerts CA = TestCerts.ca("upstream-ca");
  static final TestCerts OTHER_CA = TestCerts.ca("other-ca");
  static final TestCerts CLIENT_CA = TestCerts.ca("gateway-client-ca");
  static final String NAME = "api.test.example";

  @AfterEach
  void defaultProvider() {
    System.clearProperty(TlsProvider.PROPERTY);
  }

  static String caSecret(String name, TestCerts ca) {
    return """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: %s}
        spec:
          tls:
            ca: |
        %s
        ---
        """.formatted(name, indent(ca.caCert().certPem()));
  }

  private static String indent(String pem) {
    return pem.strip().lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  /** A plain listener {@code main}, upstream {@code backend} at {@code address} with {@code tls} (YAML flow), a catch-all route. */
  static String config(int port, String address, String tls, String... more) {
    return String.join("", more) + """
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
          endpoints:
            - address: %s
          timeouts: {connect: 2s, response: 5s}
          tls: %s
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(port, address, tls);
  }

  private static String metrics(GatewayFixture gw) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    gw.gateway().metrics().writePrometheus(sb);
    return sb.toString();
  }

  private static void assertFailed(HttpResponse<String> r, String reason) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(r.headers().firstValue("x-sluice-reason")).hasValue(reason);
    assertThat(r.body()).startsWith("{\"status\":502,\"reason\":\"" + reason + "\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void forwardsOverTlsSendingTheServerNameInSni(String provider) throws Exception {
    System.setProperty(TlsProvider.PROPERTY, provider);
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("api", NAME), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + "}", caSecret("upstream-ca", CA)))) {
      HttpResponse<String> r = gw.get(gw.port(), "/hello");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("secure /hello");
      assertThat(gw.get(gw.port(), "/again").body()).isEqualTo("secure /again");
      assertThat(up.seen()).containsExactly(new HttpsUpstream.Seen("/hello", NAME, null), new HttpsUpstream.Seen("/again", NAME, null));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void refusesAnUpstreamCertificateThatTheCaDidNotIssue(String provider) throws Exception {
    System.setProperty(TlsProvider.PROPERTY, provider);
    try (HttpsUpstream up = new HttpsUpstream(OTHER_CA.leaf("impostor", NAME), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + "}", caSecret("upstream-ca", CA)))) {
      assertFailed(gw.get(gw.port(), "/x"), "upstream_cert_invalid");
      assertThat(up.seen()).isEmpty();
      assertThat(metrics(gw)).contains("sluice_route_gateway_errors_total{route=\"all\",reason=\"upstream_cert_invalid\"} 1");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void refusesAnUpstreamCertificateForAnotherName(String provider) throws Exception {
    System.setProperty(TlsProvider.PROPERTY, provider);
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("other", "other.test.example"), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + "}", caSecret("upstream-ca", CA)))) {
      assertFailed(gw.get(gw.port(), "/x"), "upstream_cert_invalid");
      assertThat(up.seen()).isEmpty();
    }
  }

  @Test
  void verifiesAnIpEndpointAgainstTheCertificatesIpAddressesWhenNoServerNameIsSet() throws Exception {
    try (HttpsUpstream byIp = new HttpsUpstream(CA.leaf("ip", "127.0.0.1"), null);
        HttpsUpstream byName = new HttpsUpstream(CA.leaf("named", NAME), null);
        GatewayFixture ok = GatewayFixture.start(config(0, byIp.address(), "{caSecret: upstream-ca}",
            caSecret("upstream-ca", CA)));
        GatewayFixture wrong = GatewayFixture.start(config(0, byName.address(), "{caSecret: upstream-ca}",
            caSecret("upstream-ca", CA)))) {
      HttpResponse<String> r = ok.get(ok.port(), "/ip");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(byIp.seen()).containsExactly(new HttpsUpstream.Seen("/ip", "", null));
      assertFailed(wrong.get(wrong.port(), "/ip"), "upstream_cert_invalid");
    }
  }

  @Test
  void insecureSkipVerifyAcceptsAnyCertificate() throws Exception {
    try (HttpsUpstream up = new HttpsUpstream(OTHER_CA.leaf("anyone", "other.test.example"), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "{serverName: " + NAME + ", insecureSkipVerify: true}"))) {
      HttpResponse<String> r = gw.get(gw.port(), "/x");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("secure /x");
    }
  }

  @ParameterizedTest
  @CsvSource({"openssl, TLSv1.2", "openssl, TLSv1.3", "jdk, TLSv1.2", "jdk, TLSv1.3"})
  void presentsTheConfiguredClientCertificateToAnUpstreamThatRequiresOne(String provider, String version) throws Exception {
    System.setProperty(TlsProvider.PROPERTY, provider);
    TestCerts.Issued client = CLIENT_CA.leaf("gateway");
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("api", NAME), CLIENT_CA.caCert(), version);
        GatewayFixture with = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + ", clientCertificate: gw-client}",
            caSecret("upstream-ca", CA), TlsFixture.secret("gw-client", client)));
        GatewayFixture without = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + "}", caSecret("upstream-ca", CA)))) {
      HttpResponse<String> r = with.get(with.port(), "/mtls");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("secure /mtls");
      assertThat(up.seen()).containsExactly(new HttpsUpstream.Seen("/mtls", NAME, "CN=gateway"));
      // The upstream refuses the handshake with an alert (in TLS 1.3 after the client's side of the
      // handshake is done, in place of the response): its own certificate was fine, so this is not
      // upstream_cert_invalid.
      assertFailed(without.get(without.port(), "/mtls"), "upstream_tls_handshake");
      assertThat(up.seen()).hasSize(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void minVersionTls13FailsAgainstAnUpstreamThatOnlySpeaksTls12(String provider) throws Exception {
    System.setProperty(TlsProvider.PROPERTY, provider);
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("api", NAME), null, "TLSv1.2");
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + ", minVersion: TLSv1.3}", caSecret("upstream-ca", CA)))) {
      assertFailed(gw.get(gw.port(), "/x"), "upstream_tls_handshake");
      assertThat(up.seen()).isEmpty();
      assertThat(metrics(gw)).contains("sluice_route_gateway_errors_total{route=\"all\",reason=\"upstream_tls_handshake\"} 1");
    }
  }

  @Test
  void aChangedCaSecretAppliesToTheNextRequestNotAPooledConnection() throws Exception {
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("api", NAME), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "{caSecret: upstream-ca, serverName: " + NAME + "}",
            caSecret("upstream-ca", CA)))) {
      int port = gw.port();
      assertThat(gw.get(port, "/first").statusCode()).isEqualTo(200);
      // The connection of /first is idle in the pool now; the CA that verified it is replaced.
      gw.reload(config(0, up.address(), "{caSecret: upstream-ca, serverName: " + NAME + "}", caSecret("upstream-ca", OTHER_CA)));
      assertFailed(gw.get(port, "/second"), "upstream_cert_invalid");
      gw.reload(config(0, up.address(), "{caSecret: upstream-ca, serverName: " + NAME + "}", caSecret("upstream-ca", CA)));
      assertThat(gw.get(port, "/third").statusCode()).isEqualTo(200);
      assertThat(up.seen()).extracting(HttpsUpstream.Seen::path).containsExactly("/first", "/third");
    }
  }

  @Test
  void healthChecksUseTlsToo() throws Exception {
    try (HttpsUpstream up = new HttpsUpstream(CA.leaf("api", NAME), null);
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "{caSecret: upstream-ca, serverName: " + NAME + "}\n  healthCheck: {path: /healthz, interval: 100ms, timeout: 100ms,"
                + " unhealthyThreshold: 1, healthyThreshold: 1}", caSecret("upstream-ca", CA)))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> up.seen().stream().filter(s -> s.path().equals("/healthz")).count() >= 3);
      HttpResponse<String> r = gw.get(gw.port(), "/x");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(up.seen()).filteredOn(s -> s.path().equals("/healthz")).allSatisfy(s -> assertThat(s.sni()).isEqualTo(NAME));
    }
  }
}
