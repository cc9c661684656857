package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigLoader;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.TestCerts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An Upstream's {@code spec.tls} is refused at validation when it names what is not there, with the field named. */
class UpstreamTlsValidationTest {
  static final TestCerts CA = TestCerts.ca("upstream-ca");

  @TempDir Path dir;

  private List<String> errors(String yaml) throws Exception {
    Files.writeString(dir.resolve("c.yaml"), yaml);
    try {
      ConfigLoader.loadDirectory(dir, PathPolicy.DEFAULT);
    } catch (ConfigException e) {
      return e.errors().stream().map(Object::toString).toList();
    }
    throw new AssertionError("expected a validation error");
  }

  private static String upstream(String tls, String... more) {
    return UpstreamTlsTest.config(8080, "127.0.0.1:9443", tls, more);
  }

  @Test
  void refusesAnUnknownCaSecret() throws Exception {
    assertThat(errors(upstream("{caSecret: nope}"))).singleElement().asString()
        .contains("Upstream/backend", "spec.tls.caSecret: Secret 'nope' does not exist");
  }

  @Test
  void refusesACaSecretWithoutACaBundle() throws Exception {
    assertThat(errors(upstream("{caSecret: cert}", TlsFixture.secret("cert", CA.leaf("c", "c.example"))))).singleElement().asString()
        .contains("Upstream/backend", "spec.tls.caSecret: Secret 'cert' has no ca; expected a Secret with spec.tls.ca or caFile");
  }

  @Test
  void refusesAClientCertificateSecretWithoutACertificateAndKey() throws Exception {
    assertThat(errors(upstream("{clientCertificate: ca-only}", UpstreamTlsTest.caSecret("ca-only", CA)))).singleElement().asString()
        .contains("Upstream/backend", "spec.tls.clientCertificate: Secret 'ca-only' holds no certificate (only a CA bundle); expected certificate and privateKey");
  }

  @Test
  void refusesOldAndUnknownVersionsAndAnInvalidServerName() throws Exception {
    assertThat(errors(upstream("{minVersion: TLSv1.1}"))).singleElement().asString()
        .contains("Upstream/backend", "spec.tls.minVersion: TLSv1.1 is refused (broken, RFC 8996); expected TLS1.2 or TLS1.3");
    assertThat(errors(upstream("{minVersion: SSLv3}"))).singleElement().asString()
        .contains("spec.tls.minVersion: unknown version 'SSLv3'; expected TLS1.2 or TLS1.3");
    assertThat(errors(upstream("{serverName: 'bad name'}"))).singleElement().asString()
        .contains("spec.tls.serverName: invalid server name 'bad name'; expected a lower-case DNS name such as api.internal");
  }

  @Test
  void theSecretsAnUpstreamNamesAreItsReferences() throws Exception {
    Files.writeString(dir.resolve("c.yaml"), upstream("{caSecret: ca, clientCertificate: client}", UpstreamTlsTest.caSecret("ca", CA),
        TlsFixture.secret("client", CA.leaf("client"))));
    ConfigObject<?> u = ConfigLoader.loadDirectory(dir, PathPolicy.DEFAULT).get(new ObjectRef(Kind.UPSTREAM, "backend"));
    assertThat(u).isNotNull();
    assertThat(u.spec().references()).containsExactly(new ObjectRef(Kind.SECRET, "ca"), new ObjectRef(Kind.SECRET, "client"));
  }
}
