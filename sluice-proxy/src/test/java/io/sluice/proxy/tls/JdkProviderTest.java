package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JDK's TLS, the fallback where BoringSSL does not load, serves SNI the same way. */
class JdkProviderTest {
  @Test
  void jdkProviderChoosesTheCertificateBySni() throws Exception {
    TestCerts ca = TestCerts.ca("ca");
    System.setProperty(TlsProvider.PROPERTY, "jdk");
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = GatewayFixture.start(TlsFixture.secret("a", ca.leaf("a-cert", "a.example"))
            + TlsFixture.secret("d", ca.leaf("default-cert", "d.example"))
            + TlsFixture.listener(0, "{certificates: [{secret: a, hosts: [a.example]}, {secret: d}]}", up.address()))) {
      assertThat(TlsProvider.current().name()).isEqualTo("jdk");
      assertThat(TlsFixture.subject(TlsFixture.sClient(gw.port(), "-servername", "a.example"))).isEqualTo("CN=a-cert");
      assertThat(TlsFixture.subject(TlsFixture.sClient(gw.port(), "-servername", "other.example"))).isEqualTo("CN=default-cert");
      assertThat(TlsFixture.sClient(gw.port(), "-servername", "a.example", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0").exit()).isNotZero();
    } finally {
      System.clearProperty(TlsProvider.PROPERTY);
    }
  }

  @Test
  void boringSslIsTheDefaultProviderWhereItLoads() {
    assertThat(TlsProvider.current().name()).isEqualTo(io.netty.handler.ssl.OpenSsl.isAvailable() ? "openssl" : "jdk");
    assertThat(io.netty.handler.ssl.OpenSsl.isAvailable()).as("netty-tcnative-boringssl-static loads on linux-x86_64").isTrue();
  }
}
