package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.StoreException;
import io.sluice.store.etcd.EtcdConfigStore;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet on etcd with authentication on, set up as README "Run a fleet" says: the control plane's
 * user may read and write the prefix; the data plane's user ({@code sluice-data-plane} role) may read
 * the prefix and write only its own membership key.
 */
class FleetRbacTest {
  private static final String PREFIX = "/sluice/rbac";

  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcdWithUsers() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(tmp.resolve("etcd"));
    try (Client root = etcd.client()) {
      Auth auth = root.getAuthClient();
      call(auth.roleAdd(bytes("root")));
      call(auth.userAdd(bytes("root"), bytes("root-password")));
      call(auth.userGrantRole(bytes("root"), bytes("root")));
      // etcdctl role grant-permission sluice-control-plane --prefix=true readwrite /sluice/rbac/
      call(auth.roleAdd(bytes("sluice-control-plane")));
      call(auth.roleGrantPermission(bytes("sluice-control-plane"), bytes(PREFIX + "/"), bytes(PREFIX + "0"), Permission.Type.READWRITE));
      call(auth.userAdd(bytes("cp"), bytes("cp-password")));
      call(auth.userGrantRole(bytes("cp"), bytes("sluice-control-plane")));
      // etcdctl role grant-permission sluice-data-plane --prefix=true read /sluice/rbac/
      call(auth.roleAdd(bytes("sluice-data-plane")));
      call(auth.roleGrantPermission(bytes("sluice-data-plane"), bytes(PREFIX + "/"), bytes(PREFIX + "0"), Permission.Type.READ));
      // etcdctl role grant-permission sluice-data-plane-edge-a write /sluice/rbac/nodes/edge-a
      call(auth.roleAdd(bytes("sluice-data-plane-edge-a")));
      call(auth.roleGrantPermission(bytes("sluice-data-plane-edge-a"), bytes(PREFIX + "/nodes/edge-a"), ByteSequence.EMPTY,
          Permission.Type.WRITE));
      call(auth.userAdd(bytes("edge-a"), bytes("edge-a-password")));
      call(auth.userGrantRole(bytes("edge-a"), bytes("sluice-data-plane")));
      call(auth.userGrantRole(bytes("edge-a"), bytes("sluice-data-plane-edge-a")));
      call(auth.authEnable());
    }
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  private static <T> T call(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static Path passwordFile(Path dir, String password) throws IOException {
    Path f = dir.resolve(password + ".txt");
    Files.writeString(f, password + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  private static String get(int port) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + " " + r.body();
    }
  }

  @Test
  void aDataPlaneNodeWithReadOnlyCredentialsServesAndRegistersButCannotWriteTheConfiguration(@TempDir Path dir) throws Exception {
    String url = etcd.url(PREFIX);
    int port = GatewayFixture.freePort();
    try (FleetTest.Node cp = FleetTest.Node.start(url, dir, "cp", "control-plane",
            "--store-user", "cp", "--store-password-file", passwordFile(dir, "cp-password").toString());
        FleetTest.Node dp = FleetTest.Node.start(url, dir, "edge-a", "data-plane",
            "--store-user", "edge-a", "--store-password-file", passwordFile(dir, "edge-a-password").toString())) {
      String listener = "{\"apiVersion\":\"sluice.io/v1\",\"kind\":\"Listener\",\"metadata\":{\"name\":\"main\"},"
          + "\"spec\":{\"address\":\"127.0.0.1:" + port + "\"}}";
      String route = "{\"apiVersion\":\"sluice.io/v1\",\"kind\":\"Route\",\"metadata\":{\"name\":\"hello\"},"
          + "\"spec\":{\"match\":{\"path\":{\"prefix\":\"/\"}},\"directResponse\":{\"status\":200,\"body\":\"read-only works\"}}}";
      assertThat(cp.send("POST", "/api/v1/apply", "[" + listener + "," + route + "]").statusCode()).isEqualTo(200);
      dp.process().awaitPort(port);
      assertThat(get(port)).isEqualTo("200 read-only works");
      // Its registration, the one key it may write, is there and current.
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.get("/api/v1/nodes").path("converged").asBoolean()
          && cp.get("/api/v1/nodes").path("items").size() == 2);
      assertThat(cp.get("/api/v1/nodes").path("items").get(1).path("id").asText()).isEqualTo("edge-a");
      assertThat(cp.get("/api/v1/nodes").path("items").get(1).path("appliedRevision").asLong()).isEqualTo(1);
      assertThat(dp.process().stderr()).doesNotContain("registering node");
    }

    // The same credentials through the store directly: the write fails, saying etcd refused it, and nothing changed.
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("x.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: sneaky}
        spec: {match: {path: {prefix: /}}, directResponse: {status: 200}}
        """);
    EtcdConnection dataPlane = EtcdConnection.parse(url).withCredentials("edge-a", "edge-a-password");
    try (ConfigStore store = EtcdConfigStore.open(dataPlane, PathPolicy.logDirectory(dir.resolve("logs")))) {
      assertThat(store.revision()).isEqualTo(1);
      ChangeSet.Builder b = ChangeSet.builder().author("edge-a").message("should not be written");
      objects.forEach(b::put);
      assertThatThrownBy(() -> store.apply(b.build()))
          .isInstanceOf(StoreException.class)
          .hasMessage("etcd user edge-a may not write the configuration under " + PREFIX + " (writing revision 2: etcd at " + url
              + " as edge-a failed: PERMISSION_DENIED: etcdserver: permission denied); nothing was written. Write through a node"
              + " whose etcd user may, such as the control plane");
      assertThat(store.revision()).isEqualTo(1);
    }
  }
}
