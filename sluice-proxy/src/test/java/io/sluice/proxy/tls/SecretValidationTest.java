package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigLoader;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.Kind;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.TestCerts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad certificates and keys are refused at validation, with the object and field named. */
class SecretValidationTest {
  static final TestCerts CA = TestCerts.ca("test-ca");
  static final TestCerts.Issued A = CA.leaf("a-cert", "a.example");

  @TempDir Path dir;

  private ConfigSet load(String yaml) throws Exception {
    Files.writeString(dir.resolve("c.yaml"), yaml);
    return ConfigLoader.loadDirectory(dir, policy());
  }

  private PathPolicy policy() {
    return PathPolicy.of(Map.of(PathPolicy.Directory.LOGS, dir.resolve("logs"), PathPolicy.Directory.CERTS, dir.resolve("certs")));
  }

  private String error(String yaml) {
    try {
      load(yaml);
    } catch (ConfigException e) {
      return e.errors().stream().map(Object::toString).reduce((a, b) -> a + "\n" + b).orElse("");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a validation error");
  }

  private static String listener(String tls) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: web}
        spec:
          address: 127.0.0.1:18443
          tls: %s
        """.formatted(tls);
  }

  @Test
  void refusesAKeyThatDoesNotMatchTheCertificate() {
    TestCerts.Issued other = CA.leaf("other", "other.example");
    String yaml = TlsFixture.secret("web-cert", new TestCerts.Issued(A.cert(), other.keys()));
    assertThat(error(yaml)).contains("Secret/web-cert", "spec.tls.privateKey: does not match the certificate (CN=a-cert)");
  }

  @Test
  void refusesAnExpiredAndANotYetValidCertificate() {
    TestCerts.Issued expired = CA.leaf("old", Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)), "a.example");
    assertThat(error(TlsFixture.secret("old", expired))).contains("Secret/old", "spec.tls.certificate: certificate CN=old expired on ");
    TestCerts.Issued future = CA.leaf("new", Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(10)), "a.example");
    assertThat(error(TlsFixture.secret("new", future))).contains("Secret/new", "spec.tls.certificate: certificate CN=new is not valid before ");
  }

  @Test
  void refusesAHostTheCertificateHasNoSanFor() {
    String yaml = TlsFixture.secret("a", A) + listener("{certificates: [{secret: a, hosts: [a.example, b.example]}]}");
    assertThat(error(yaml)).contains("Listener/web", "spec.tls.certificates[0].hosts[1]: Secret 'a''s certificate (CN=a-cert) has no subjectAltName for b.example; it has [a.example]");
  }

  @Test
  void refusesTls11AsMinimumVersion() {
    String yaml = TlsFixture.secret("a", A) + listener("{certificates: [{secret: a}], minVersion: TLS1.1}");
    assertThat(error(yaml)).contains("Listener/web", "spec.tls.minVersion: TLS1.1 is refused (broken, RFC 8996); expected TLS1.2 or TLS1.3");
  }

  @Test
  void refusesAMaximumVersionBelowTheMinimumOrUnknown() {
    String below = TlsFixture.secret("a", A) + listener("{certificates: [{secret: a}], minVersion: TLS1.3, maxVersion: TLS1.2}");
    assertThat(error(below)).contains("Listener/web", "spec.tls.maxVersion: TLS1.2 is below minVersion TLS1.3; expected TLS1.3 or a lower minVersion");
    String old = TlsFixture.secret("a", A) + listener("{certificates: [{secret: a}], maxVersion: TLS1.1}");
    assertThat(error(old)).contains("Listener/web", "spec.tls.maxVersion: TLS1.1 is refused (broken, RFC 8996); expected TLS1.2 or TLS1.3");
  }

  @Test
  void refusesAMissingSecretAndDeletingAReferencedOne() throws Exception {
    assertThat(error(listener("{certificates: [{secret: nope}]}"))).contains("Listener/web", "spec.tls.certificates[0].secret: Secret 'nope' does not exist");
    ConfigSet set = load(TlsFixture.secret("a", A) + listener("{certificates: [{secret: a}]}"));
    assertThatThrownBy(() -> set.with(List.of(), List.of(new ObjectRef(Kind.SECRET, "a"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("Secret 'a' does not exist");
  }

  @Test
  void readsCertificateFilesOnlyInsideTheCertificateDirectory() throws Exception {
    Files.createDirectories(dir.resolve("certs"));
    Files.writeString(dir.resolve("certs/a.pem"), A.certPem());
    Files.writeString(dir.resolve("certs/a.key"), A.keyPem());
    Files.writeString(dir.resolve("outside.key"), A.keyPem());
    String ok = """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: a}
        spec:
          tls: {certificateFile: a.pem, privateKeyFile: a.key}
        """;
    assertThat(load(ok).secrets()).hasSize(1);
    String outside = ok.replace("privateKeyFile: a.key", "privateKeyFile: " + dir.resolve("outside.key"));
    assertThat(error(outside)).contains("Secret/a", "spec.tls.privateKeyFile: " + dir.resolve("outside.key")
        + " is outside the certificate directory " + dir.resolve("certs") + " (--cert-dir)");
  }
}
