package io.sluice.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.ObjectRef;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd store over TLS with etcd's users: the connection options {@code sluice serve --store-ca},
 * {@code --store-user} and {@code --store-password-file} turn into. One etcd serving clients over TLS
 * with a certificate for 127.0.0.1 (made with openssl), authentication on, and a user that may only
 * read and write {@code /sluice/secure/}.
 */
class EtcdStoreSecurityTest {
  private static final String PREFIX = "/sluice/secure";

  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;
  private static Path ca;
  private static Path otherCa;

  @BeforeAll
  static void startEtcdWithTlsAndUsers() throws Exception {
    EtcdProcess.assumeInstalled();
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed: apt-get install openssl");
    ca = tmp.resolve("ca.pem");
    otherCa = tmp.resolve("other-ca.pem");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test etcd CA");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "1",
        "-subj", "/CN=another CA");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "etcd.key", "-out", "etcd.csr", "-subj", "/CN=127.0.0.1");
    Files.writeString(tmp.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", "etcd.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "etcd.pem",
        "-days", "1", "-extfile", "san.ext");
    etcd = EtcdProcess.start(tmp.resolve("etcd"), 1, new EtcdProcess.Tls(tmp.resolve("etcd.pem"), tmp.resolve("etcd.key")));
    try (Client root = Client.builder().endpoints(etcd.members().getFirst().clientUrl()).sslContext(b -> b.trustManager(ca.toFile()))
        .build()) {
      Auth auth = root.getAuthClient();
      await(auth.roleAdd(bytes("root")));
      await(auth.userAdd(bytes("root"), bytes("root-password")));
      await(auth.userGrantRole(bytes("root"), bytes("root")));
      await(auth.roleAdd(bytes("sluice-gateway")));
      await(auth.roleGrantPermission(bytes("sluice-gateway"), bytes(PREFIX + "/"), bytes(PREFIX + "0"), Permission.Type.READWRITE));
      await(auth.userAdd(bytes("gw"), bytes("gw-password")));
      await(auth.userGrantRole(bytes("gw"), bytes("sluice-gateway")));
      await(auth.authEnable());
    }
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  private static void openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("openssl " + String.join(" ", args) + ": " + out);
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static EtcdConnection connection() {
    return EtcdConnection.parse(etcd.url(PREFIX)).withTimeout(Duration.ofSeconds(5));
  }

  private static ConfigStore open(EtcdConnection c) {
    return EtcdConfigStore.open(c, PathPolicy.logDirectory(tmp.resolve("logs")));
  }

  private static ConfigObject<UpstreamSpec> upstream(String name, int port) {
    return new ConfigObject<>(ConfigObject.API_VERSION, Kind.UPSTREAM, ObjectMeta.named(name),
        new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("127.0.0.1:" + port)), null, null, null), "<test>");
  }

  @Test
  void storeOverTlsAsAUserOfThePrefixAppliesAndAnotherGatewayReadsIt() throws Exception {
    EtcdConnection c = connection().withCredentials("gw", "gw-password").withCa(ca);
    try (ConfigStore first = open(c)) {
      assertThat(first.apply(ChangeSet.builder().author("tester").put(upstream("echo", 9001)).build()).revision()).isEqualTo(1);
      try (ConfigStore second = open(c)) {
        assertThat(second.revision()).isEqualTo(1);
        assertThat(second.get(new ObjectRef(Kind.UPSTREAM, "echo")).spec()).isEqualTo(upstream("echo", 9001).spec());
        assertThat(second.history(new ObjectRef(Kind.UPSTREAM, "echo"))).hasSize(1);
      }
    }
  }

  @Test
  void wrongPasswordIsAStoreExceptionThatSaysSo() {
    assertThatThrownBy(() -> open(connection().withCredentials("gw", "not-the-password").withCa(ca)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("reading the store's revision: etcd at " + etcd.url(PREFIX) + " as gw (TLS, CA " + ca + ") failed:")
        .hasMessageContaining("authentication failed");
  }

  @Test
  void userOfThePrefixCannotUseAnotherPrefix() {
    EtcdConnection elsewhere = EtcdConnection.parse(etcd.url("/sluice/other")).withCredentials("gw", "gw-password").withCa(ca);
    assertThatThrownBy(() -> open(elsewhere)).isInstanceOf(StoreException.class).hasMessageContaining("permission denied");
  }

  @Test
  void membersWhoseCertificateTheCaDidNotSignAreNotTrusted() {
    assertThatThrownBy(() -> open(connection().withCredentials("gw", "gw-password").withCa(otherCa)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("reading the store's revision: etcd at " + etcd.url(PREFIX) + " as gw (TLS, CA " + otherCa + ")");
  }
}
