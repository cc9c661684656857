package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.etcd.EtcdConfigStore;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice serve --store etcd://...}: the gateway serves and follows a configuration that lives in etcd. */
class EtcdStoreServeTest {
  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(tmp.resolve("etcd"));
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  private static List<ConfigObject<?>> objects(int port, String body) throws Exception {
    return ObjectCodec.readYaml("test.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          match:
            path: {prefix: /}
          directResponse: {status: 200, body: "%s"}
        """.formatted(port, body));
  }

  private static void write(ConfigStore store, List<ConfigObject<?>> objects) throws Exception {
    ChangeSet.Builder b = ChangeSet.builder().author("another-gateway").message("test");
    objects.forEach(b::put);
    store.apply(b.build());
  }

  private static String get(int port) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + " " + r.body();
    }
  }

  @Test
  void serveWithAnEtcdStoreServesAndFollowsWhatAnotherWriterAppliesUnderItsPrefix(@TempDir Path data) throws Exception {
    String url = etcd.url("/sluice/serve-test");
    try (ConfigStore writer = EtcdConfigStore.open(EtcdConnection.parse(url), PathPolicy.logDirectory(data.resolve("logs")))) {
      write(writer, objects(0, "version one"));
      try (ServerProcess sluice = ServerProcess.start("serve", "--store", url, "--data-dir", data.toString(),
          "--admin-address", "127.0.0.1:0", "--event-loops", "1", "--store-connect-timeout", "60s")) {
        int port = sluice.awaitListener("main");
        assertThat(get(port)).isEqualTo("200 version one");
        // The listener's object is unchanged (port 0 still), so it keeps its bound port.
        write(writer, objects(0, "version two"));
        await().atMost(Duration.ofSeconds(20)).until(() -> get(port).equals("200 version two"));
        // Logged once the admin API is up too, which may come after the listener serves.
        await().atMost(Duration.ofSeconds(20)).until(() -> (sluice.stdout() + sluice.stderr()).contains("store " + url + " at revision "));
        // Stopping closes the etcd connection too: nothing of jetcd's keeps the JVM alive.
        sluice.terminate();
        assertThat(sluice.waitForExit(Duration.ofSeconds(20))).isZero();
      }
    }
  }

  @Test
  void serveExitsOneNamingTheStoreWhenEtcdCannotBeReachedAtStartAndThereIsNoLocalCache(@TempDir Path data) throws Exception {
    String url = "etcd://127.0.0.1:" + GatewayFixture.closedPort() + "/sluice/nowhere";
    ServerProcess.Result r = ServerProcess.run("serve", "--store", url, "--data-dir", data.toString(),
        "--admin-address", "127.0.0.1:0");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).contains("sluice serve: cannot open the store --store " + url + ": no answer within 5s"
        + " (--store-connect-timeout); and no local cache to start from (" + data.resolve("last-applied.json") + " does not exist)");
  }

  @Test
  void serveRefusesAStoreThatIsNeitherSqliteNorAnEtcdUrlNamingTheValue() throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--store", "etcd://127.0.0.1/sluice");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --store 'etcd://127.0.0.1/sluice': '127.0.0.1' is not host:port"
        + " with a port from 1 to 65535 (expected etcd://host:port[,host:port...]/prefix, such as etcd://127.0.0.1:2379/sluice/prod)");
    r = ServerProcess.run("serve", "--store", "postgres://db/sluice");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly(
        "sluice serve: --store 'postgres://db/sluice': expected sqlite or etcd://host:port[,host:port...]/prefix");
    r = ServerProcess.run("serve", "--store-user", "gw");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly(
        "sluice serve: --store-user, --store-password-file and --store-ca are for --store etcd://...; the store is sqlite");
  }

  @Test
  void serveRefusesAStoreConnectTimeoutOfZeroAndOneForTheEmbeddedStore() throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--store", etcd.url("/sluice/x"), "--store-connect-timeout", "0s");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --store-connect-timeout must be positive, got 0s");
    r = ServerProcess.run("serve", "--store-connect-timeout", "2s");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --store-connect-timeout is for --store etcd://...; the store is sqlite");
  }

  @Test
  void servePasswordFileThatOthersCanReadIsRefused(@TempDir Path dir) throws Exception {
    Path password = dir.resolve("password");
    Files.writeString(password, "s3cret\n");
    Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-r--r--"));
    ServerProcess.Result r = ServerProcess.run("serve", "--store", etcd.url("/sluice/x"), "--store-user", "gw",
        "--store-password-file", password.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --store-password-file " + password
        + " can be read by other users (rw-r--r--); expected it readable by this user only (chmod 600)");
  }
}
