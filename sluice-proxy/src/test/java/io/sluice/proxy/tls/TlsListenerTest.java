package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS on a listener through the real gateway, driven by openssl s_client and curl. */
class TlsListenerTest {
  static final TestCerts CA = TestCerts.ca("test-ca");
  static final TestCerts.Issued A = CA.leaf("a-cert", "a.example");
  static final TestCerts.Issued B = CA.leaf("b-cert", "b.example");
  static final TestCerts.Issued WILD = CA.leaf("wild-cert", "*.w.example");
  static final TestCerts.Issued DEFAULT = CA.leaf("default-cert", "default.example", "127.0.0.1");
  static final String TLS = "{certificates: [{secret: a, hosts: [a.example]}, {secret: b, hosts: [b.example]},"
      + " {secret: wild, hosts: ['*.w.example']}, {secret: dflt}]}";

  static TestUpstream up;
  static GatewayFixture gw;
  static int port;
  @TempDir static Path tmp;
  static Path caFile;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "hello " + req.target()));
    gw = GatewayFixture.start(config(TLS));
    port = gw.port();
    caFile = CA.caCert().writeCert(tmp.resolve("ca.pem"));
  }

  static String config(String tls) {
    return TlsFixture.secret("a", A) + TlsFixture.secret("b", B) + TlsFixture.secret("wild", WILD) + TlsFixture.secret("dflt", DEFAULT)
        + TlsFixture.listener(0, tls, up.address());
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  @Test
  void choosesTheCertificateBySniExactWildcardAndDefault() throws Exception {
    assertThat(TlsFixture.subject(TlsFixture.sClient(port, "-servername", "a.example"))).isEqualTo("CN=a-cert");
    assertThat(TlsFixture.subject(TlsFixture.sClient(port, "-servername", "b.example"))).isEqualTo("CN=b-cert");
    assertThat(TlsFixture.subject(TlsFixture.sClient(port, "-servername", "x.w.example"))).isEqualTo("CN=wild-cert");
    // One label only: a.x.w.example is not covered by *.w.example, so the default answers.
    assertThat(TlsFixture.subject(TlsFixture.sClient(port, "-servername", "a.x.w.example"))).isEqualTo("CN=default-cert");
    assertThat(TlsFixture.subject(TlsFixture.sClient(port, "-servername", "unknown.example"))).isEqualTo("CN=default-cert");
    assertThat(TlsFixture.subject(TlsFixture.sClient(port, "-noservername"))).isEqualTo("CN=default-cert");
  }

  @Test
  void curlVerifiesEachNameAgainstTheCaAndGetsTheUpstreamsAnswer() throws Exception {
    for (String host : new String[] {"a.example", "b.example", "x.w.example"}) {
      TlsFixture.Run r = TlsFixture.run("curl", "-sS", "--resolve", host + ":" + port + ":127.0.0.1", "--cacert", caFile.toString(),
          "https://" + host + ":" + port + "/" + host);
      assertThat(r.exit()).as(r.output()).isZero();
      assertThat(r.output()).isEqualTo("hello /" + host);
    }
    // By address: no SNI, the default certificate, which has 127.0.0.1 as a SAN.
    TlsFixture.Run r = TlsFixture.run("curl", "-sS", "--cacert", caFile.toString(), "https://127.0.0.1:" + port + "/ip");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).isEqualTo("hello /ip");
  }

  @Test
  void negotiatesH2FirstAndHttp11ThroughAlpn() throws Exception {
    // The listener's default protocols, [h2, http1]: the gateway prefers h2 when the client offers it.
    TlsFixture.Run r = TlsFixture.sClient(port, "-servername", "a.example", "-alpn", "http/1.1,h2");
    assertThat(r.output()).contains("ALPN protocol: h2");
    TlsFixture.Run h1 = TlsFixture.sClient(port, "-servername", "a.example", "-alpn", "http/1.1");
    assertThat(h1.output()).contains("ALPN protocol: http/1.1");
  }

  @Test
  void refusesTls10AndTls11() throws Exception {
    for (String version : new String[] {"-tls1", "-tls1_1"}) {
      // SECLEVEL=0 makes the client offer the old version; the refusal must be the server's.
      TlsFixture.Run r = TlsFixture.sClient(port, "-servername", "a.example", version, "-cipher", "DEFAULT@SECLEVEL=0");
      assertThat(r.exit()).as(r.output()).isNotZero();
      assertThat(r.output()).contains("alert protocol version");
    }
    TlsFixture.Run ok = TlsFixture.sClient(port, "-servername", "a.example", "-tls1_2");
    assertThat(ok.exit()).as(ok.output()).isZero();
    assertThat(ok.output()).contains("Protocol  : TLSv1.2");
  }

  @Test
  void aMaximumVersionOfTls12NegotiatesTls12AndRefusesATls13OnlyClient() throws Exception {
    try (GatewayFixture tls12 = GatewayFixture.start(config("{certificates: [{secret: dflt}], maxVersion: TLS1.2}"))) {
      TlsFixture.Run any = TlsFixture.sClient(tls12.port(), "-servername", "a.example");
      assertThat(any.exit()).as(any.output()).isZero();
      assertThat(any.output()).contains("Protocol  : TLSv1.2");
      TlsFixture.Run only13 = TlsFixture.sClient(tls12.port(), "-servername", "a.example", "-tls1_3");
      assertThat(only13.exit()).as(only13.output()).isNotZero();
      assertThat(only13.output()).contains("alert protocol version");
    }
  }

  @Test
  void resumesTls13AndTls12SessionsFromTheirTickets() throws Exception {
    // The request closes the connection, so s_client reads everything the server sends, the tickets included.
    Path request = Files.writeString(tmp.resolve("request.txt"), "GET /t HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
    for (String version : new String[] {"-tls1_3", "-tls1_2"}) {
      Path session = tmp.resolve("session" + version + ".pem");
      TlsFixture.Run first = TlsFixture.runWithInput(request, "openssl", "s_client", "-connect", "127.0.0.1:" + port,
          "-servername", "a.example", version, "-ign_eof", "-sess_out", session.toString());
      assertThat(first.exit()).as(first.output()).isZero();
      assertThat(first.output()).contains("New, TLSv1." + version.charAt(6)).contains("hello /t");

      TlsFixture.Run second = TlsFixture.runWithInput(request, "openssl", "s_client", "-connect", "127.0.0.1:" + port,
          "-servername", "a.example", version, "-ign_eof", "-sess_in", session.toString());
      assertThat(second.exit()).as(second.output()).isZero();
      assertThat(second.output()).contains("Reused, TLSv1." + version.charAt(6)).contains("hello /t");
    }
  }

  @Test
  void answersPlainHttpToTheTlsPortWith400AndCloses() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).isEqualTo("plain HTTP request sent to an HTTPS port\n");
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
  }
}
