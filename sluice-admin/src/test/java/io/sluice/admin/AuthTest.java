package io.sluice.admin;

import static io.sluice.admin.AdminFixture.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.store.ConfigStore;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthTest {
  static final String EDITOR_SECRET = "editor-secret-0123456789";
  static final String VIEWER_SECRET = "viewer-secret-0123456789";

  @TempDir Path dir;
  AdminFixture admin;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir, List.of(
        AdminToken.ofSecret("ci-bot", AdminToken.Role.EDITOR, EDITOR_SECRET),
        new AdminToken("dashboard", AdminToken.Role.VIEWER, java.util.HexFormat.of().formatHex(AdminToken.sha256(VIEWER_SECRET)))),
        request -> RouteTestResult.noMatch(), Map.of("/metrics", () -> "up 1\n"));
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  static String[] bearer(String secret, String... more) {
    String[] h = new String[more.length + 2];
    h[0] = "Authorization";
    h[1] = "Bearer " + secret;
    System.arraycopy(more, 0, h, 2, more.length);
    return h;
  }

  @Test
  void missingOrUnknownTokenIsUnauthorizedWithAChallenge() {
    for (AdminFixture.Res r : List.of(
        admin.get("/api/v1/objects"),
        admin.get("/api/v1/objects", "Authorization", "Bearer wrong"),
        admin.get("/api/v1/objects", "Authorization", "Basic " + EDITOR_SECRET),
        admin.get("/api/v1/objects", "Authorization", "Bearer " + EDITOR_SECRET + "x"),
        admin.get("/metrics"),
        admin.get("/nowhere"))) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.header("www-authenticate")).isEqualTo("Bearer realm=\"sluice\"");
      assertThat(r.json().get("error").asText()).isEqualTo("unauthorized");
    }
    assertThat(admin.get("/api/v1/objects").json().get("message").asText())
        .isEqualTo("this admin API needs a token: send Authorization: Bearer <token>");
    assertThat(admin.get("/api/v1/objects", "Authorization", "Bearer wrong").json().get("message").asText()).isEqualTo("unknown token");
    AdminFixture.Res write = admin.post("/api/v1/apply", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(write.status()).isEqualTo(401);
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void viewerReadsAndDryRunsButMayNotWrite() {
    AdminFixture.Res setup = admin.post("/api/v1/apply", upstream("echo", "127.0.0.1:9001"),
        bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(setup.status()).isEqualTo(200);

    assertThat(admin.get("/api/v1/objects", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    assertThat(admin.get("/api/v1/upstreams/echo", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    assertThat(admin.get("/api/v1/upstreams/echo/history", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    assertThat(admin.get("/api/v1/revisions", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    assertThat(admin.get("/api/v1/status", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    assertThat(admin.get("/api/v1/openapi.json", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    AdminFixture.Res metrics = admin.get("/metrics", bearer(VIEWER_SECRET));
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).isEqualTo("up 1\n");
    assertThat(admin.post("/api/v1/route-test", "{\"url\":\"http://a.example/\"}", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    AdminFixture.Res dry = admin.post("/api/v1/apply?dryRun=true", upstream("echo", "127.0.0.1:9002"),
        bearer(VIEWER_SECRET, "Content-Type", "application/yaml"));
    assertThat(dry.status()).as(dry.body()).isEqualTo(200);
    assertThat(admin.post("/api/v1/upstreams/echo/rollback?dryRun=true", "{\"to\":0}", bearer(VIEWER_SECRET)).status()).isEqualTo(200);
    assertThat(admin.post("/api/v1/rollback?dryRun=true", "{\"to\":0}", bearer(VIEWER_SECRET)).status()).isEqualTo(200);

    List<AdminFixture.Res> writes = List.of(
        admin.post("/api/v1/apply", upstream("echo", "127.0.0.1:9002"), bearer(VIEWER_SECRET, "Content-Type", "application/yaml")),
        admin.post("/api/v1/apply?dryRun=false", upstream("echo", "127.0.0.1:9002"), bearer(VIEWER_SECRET, "Content-Type", "application/yaml")),
        admin.post("/api/v1/upstreams", upstream("new", "127.0.0.1:9002"), bearer(VIEWER_SECRET, "Content-Type", "application/yaml")),
        admin.put("/api/v1/upstreams/echo", upstream("echo", "127.0.0.1:9002"), bearer(VIEWER_SECRET, "Content-Type", "application/yaml")),
        admin.delete("/api/v1/upstreams/echo", bearer(VIEWER_SECRET)),
        admin.post("/api/v1/upstreams/echo/rollback", "{\"to\":0}", bearer(VIEWER_SECRET)),
        admin.post("/api/v1/rollback", "{\"to\":0}", bearer(VIEWER_SECRET)));
    for (AdminFixture.Res r : writes) {
      assertThat(r.status()).as(r.body()).isEqualTo(403);
      assertThat(r.json().get("error").asText()).isEqualTo("forbidden");
    }
    assertThat(writes.getFirst().json().get("message").asText())
        .isEqualTo("token 'dashboard' has the viewer role; POST /api/v1/apply needs editor (a viewer may send dryRun=true)");
    assertThat(writes.get(4).json().get("message").asText())
        .isEqualTo("token 'dashboard' has the viewer role; DELETE /api/v1/upstreams/echo needs editor");
    assertThat(admin.store.revision()).isEqualTo(1);
  }

  @Test
  void editorWritesAndIsRecordedAsTheAuthor() {
    AdminFixture.Res c = admin.post("/api/v1/upstreams", upstream("echo", "127.0.0.1:9001"),
        bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(c.status()).isEqualTo(201);
    AdminFixture.Res p = admin.put("/api/v1/upstreams/echo", upstream("echo", "127.0.0.1:9002"),
        bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(p.status()).isEqualTo(200);
    assertThat(admin.get("/api/v1/upstreams/echo/history", bearer(VIEWER_SECRET)).json().get("items").findValuesAsText("author"))
        .containsExactly("ci-bot", "ci-bot");
    assertThat(admin.get("/api/v1/revisions", bearer(VIEWER_SECRET)).json().get("items").findValuesAsText("author"))
        .containsExactly("ci-bot", "ci-bot");
    assertThat(admin.store.revisions(0, 10).getLast().message()).isEqualTo("put Upstream/echo");
  }

  @Test
  void nonLoopbackBindWithoutTokensRefusesToStartAndBindsNothing(@TempDir Path storeDir) throws IOException {
    InetAddress host = nonLoopbackAddress();
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, host)) {
      port = probe.getLocalPort();
    }
    InetSocketAddress address = new InetSocketAddress(host, port);
    try (ConfigStore store = SqliteConfigStore.open(storeDir)) {
      AdminServer server = AdminServer.builder().address(address).store(store)
          .nodeStatus(() -> new NodeStatus("n", "v", 0, AdminFixture.STARTED, Map.of()))
          .routeTester(r -> RouteTestResult.noMatch())
          .stats(() -> AdminFixture.STATS)
          .build();
      String shown = (host.getHostAddress().contains(":") ? "[" + host.getHostAddress() + "]" : host.getHostAddress()) + ":" + port;
      assertThatThrownBy(server::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("refusing to serve the admin API on " + shown + " without tokens: anyone who can reach it could "
              + "change the configuration. Bind a loopback address (127.0.0.1) or give --admin-tokens FILE");
      assertThatThrownBy(server::boundAddress).isInstanceOf(IllegalStateException.class);
      // Nothing holds the port: it can be bound again at once.
      try (ServerSocket again = new ServerSocket(port, 1, host)) {
        assertThat(again.getLocalPort()).isEqualTo(port);
      }
      server.close();
    }
  }

  @Test
  void loopbackWithoutTokensActsAsLocalEditor(@TempDir Path storeDir) {
    try (AdminFixture open = new AdminFixture(storeDir)) {
      assertThat(open.post("/api/v1/upstreams", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml").status())
          .isEqualTo(201);
      assertThat(open.store.history(new io.sluice.api.ObjectRef(io.sluice.api.Kind.UPSTREAM, "echo")).getFirst().author()).isEqualTo("local");
    }
  }

  @Test
  void bindFailureNamesTheAddress(@TempDir Path storeDir) throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ConfigStore store = SqliteConfigStore.open(storeDir)) {
      AdminServer server = AdminServer.builder().address(new InetSocketAddress("127.0.0.1", taken.getLocalPort())).store(store)
          .nodeStatus(() -> new NodeStatus("n", "v", 0, AdminFixture.STARTED, Map.of()))
          .routeTester(r -> RouteTestResult.noMatch())
          .stats(() -> AdminFixture.STATS)
          .build();
      assertThatThrownBy(server::start).isInstanceOf(IOException.class)
          .hasMessageStartingWith("cannot bind the admin API to 127.0.0.1:" + taken.getLocalPort() + ": ");
      server.close();
    }
  }

  /** The machine's first non-loopback IPv4 address, or the wildcard when it has none. */
  private static InetAddress nonLoopbackAddress() throws SocketException {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) continue;
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) return a;
      }
    }
    try {
      return InetAddress.getByName("0.0.0.0");
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void unauthenticatedExpectContinueGets401WithoutAnInvitationToSendTheBody() throws IOException {
    byte[] body = upstream("echo", "127.0.0.1:9001").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String head = "POST /api/v1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: "
        + body.length + "\r\nExpect: 100-continue\r\n";
    for (String authorization : List.of("", "Authorization: Bearer wrong\r\n")) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", admin.base.getPort())) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write((head + authorization + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String r = HttpBehaviourTest.readResponse(s.getInputStream());
        String message = authorization.isEmpty() ? "this admin API needs a token: send Authorization: Bearer <token>" : "unknown token";
        assertThat(r).startsWith("HTTP/1.1 401 Unauthorized\r\n").contains("WWW-Authenticate: Bearer realm=\"sluice\"\r\n")
            .contains("connection: close\r\n").endsWith("{\"error\":\"unauthorized\",\"message\":\"" + message + "\",\"details\":[]}");
        assertThat(s.getInputStream().read()).as("closed: the body was never invited").isEqualTo(-1);
      }
    }
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write((head + "Authorization: Bearer " + EDITOR_SECRET + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(HttpBehaviourTest.readResponse(s.getInputStream())).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
      s.getOutputStream().write(body);
      assertThat(HttpBehaviourTest.readResponse(s.getInputStream())).startsWith("HTTP/1.1 200 OK\r\n");
    }
    assertThat(admin.store.revision()).isEqualTo(1);
  }
}
