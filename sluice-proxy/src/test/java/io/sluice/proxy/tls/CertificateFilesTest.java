package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A certificate renewed in place on disk reaches new handshakes; a broken file leaves the old one serving. */
class CertificateFilesTest {
  static final TestCerts CA = TestCerts.ca("files-ca");

  @TempDir Path dir;

  /** Writes cert and key beside their place, then moves them in, as a renewal tool does. */
  private void install(Path certs, TestCerts.Issued issued) throws Exception {
    Files.writeString(certs.resolve("web.key.new"), issued.keyPem());
    Files.writeString(certs.resolve("web.pem.new"), issued.certPem());
    Files.move(certs.resolve("web.key.new"), certs.resolve("web.key"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.move(certs.resolve("web.pem.new"), certs.resolve("web.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static BigInteger servedSerial(int port) throws Exception {
    try (SSLSocket s = TlsRotationTest.connect(TlsRotationTest.trusting(CA.caCert().cert()), port); RawConnection c = RawConnection.over(s)) {
      c.send("GET /f HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("ok");
      return TlsRotationTest.serial(s);
    }
  }

  @Test
  void appliesCertificateFilesReplacedOnDiskAndKeepsTheOldOneWhenTheNewOneIsBroken() throws Exception {
    Path certs = Files.createDirectories(dir.resolve("certs"));
    TestCerts.Issued first = CA.leaf("first", "127.0.0.1");
    TestCerts.Issued second = CA.leaf("second", "127.0.0.1");
    install(certs, first);
    PathPolicy paths = PathPolicy.of(Map.of(PathPolicy.Directory.LOGS, dir.resolve("logs"), PathPolicy.Directory.CERTS, certs));
    String secret = """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: web}
        spec:
          tls: {certificateFile: web.pem, privateKeyFile: web.key}
        ---
        """;
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = GatewayFixture.start(secret + TlsFixture.listener(0, "{certificates: [{secret: web}]}", up.address()), paths)) {
      int port = gw.port();
      assertThat(servedSerial(port)).isEqualTo(first.serial());

      install(certs, second);
      await().atMost(Duration.ofSeconds(15)).until(() -> servedSerial(port).equals(second.serial()));

      Files.writeString(certs.resolve("web.pem.new"), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
      Files.move(certs.resolve("web.pem.new"), certs.resolve("web.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      // Longer than the check interval (2s): the broken file is seen, and the second certificate keeps serving.
      await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> servedSerial(port).equals(second.serial()));
    }
  }
}
