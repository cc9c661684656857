package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import io.sluice.server.cache.LastApplied;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet on one machine: a 3-member etcd cluster, a control-plane node and data-plane nodes with
 * different labels, each a real {@code sluice serve} process; the CLI as processes too.
 */
class FleetTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(tmp.resolve("etcd"), 3);
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  /** One {@code sluice serve} of the fleet and its admin API. */
  record Node(String id, ServerProcess process, int adminPort) implements AutoCloseable {
    static Node start(String storeUrl, Path data, String id, String role, String... more) throws Exception {
      List<String> args = new ArrayList<>(List.of("serve", "--store", storeUrl, "--data-dir", data.resolve(id).toString(),
          "--admin-address", "127.0.0.1:0", "--event-loops", "1", "--node-id", id, "--role", role));
      args.addAll(Arrays.asList(more));
      ServerProcess process = ServerProcess.start(args.toArray(String[]::new));
      try {
        return new Node(id, process, process.adminPort());
      } catch (Exception | Error e) {
        process.close();
        throw e;
      }
    }

    String url() {
      return "http://127.0.0.1:" + adminPort;
    }

    HttpResponse<String> send(String method, String path, @org.jspecify.annotations.Nullable String json) throws Exception {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
          .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
      if (json != null) b.header("Content-Type", "application/json");
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String path) throws Exception {
      HttpResponse<String> r = send("GET", path, null);
      assertThat(r.statusCode()).as("GET %s on %s: %s", path, id, r.body()).isEqualTo(200);
      return ControlPlane.JSON.readTree(r.body());
    }

    /** {@code sluice args... --server URL} as a process. */
    ServerProcess.Result sluice(String... args) throws Exception {
      List<String> all = new ArrayList<>(Arrays.asList(args));
      all.addAll(List.of("--server", url()));
      return ServerProcess.run(all.toArray(String[]::new));
    }

    @Override
    public void close() {
      process.close();
    }
  }

  /** A listener per zone (each selecting its zone's nodes) and one route on both, answering {@code body}. */
  private static String config(int portA, int portB, String body) {
    String listener = """
        {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"%s"},
         "spec":{"address":"127.0.0.1:%d","nodeSelector":{"zone":"%s"}}}""";
    String route = """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
         "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"%s"}}}""".formatted(body);
    return "[" + listener.formatted("edge-a", portA, "a") + "," + listener.formatted("edge-b", portB, "b") + "," + route + "]";
  }

  private static String get(int port) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + " " + r.body();
    }
  }

  private static boolean refused(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** The cells of a {@code get nodes} row, split at the table's column gaps. */
  private static List<String> row(String line) {
    return List.of(line.split(" {3,}"));
  }

  @Test
  void anApplyThroughTheControlPlaneReachesBothDataPlanesEachBindingOnlyItsZonesListenerAndTheFleetConverges(@TempDir Path data)
      throws Exception {
    String url = etcd.url("/sluice/fleet");
    int portA = GatewayFixture.freePort();
    int portB = GatewayFixture.freePort();
    try (Node cp = Node.start(url, data, "cp", "control-plane");
        Node a = Node.start(url, data, "edge-a", "data-plane", "--node-label", "zone=a", "--node-label", "tier=edge");
        Node b = Node.start(url, data, "edge-b", "data-plane", "--node-label", "zone=b")) {
      HttpResponse<String> applied = cp.send("POST", "/api/v1/apply", config(portA, portB, "one"));
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      a.process().awaitPort(portA);
      b.process().awaitPort(portB);
      assertThat(get(portA)).isEqualTo("200 one");
      assertThat(get(portB)).isEqualTo("200 one");

      applied = cp.send("POST", "/api/v1/apply", config(portA, portB, "two"));
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      long latest = cp.get("/api/v1/status").path("storeRevision").asLong();
      assertThat(latest).isEqualTo(2);
      await().atMost(Duration.ofSeconds(20)).until(() -> get(portA).equals("200 two") && get(portB).equals("200 two"));

      // Each data plane bound only its zone's listener; the control plane none.
      assertThat(a.get("/api/v1/status").path("listeners").toString()).isEqualTo("[{\"name\":\"edge-a\",\"address\":\"127.0.0.1:" + portA + "\"}]");
      assertThat(b.get("/api/v1/status").path("listeners").toString()).isEqualTo("[{\"name\":\"edge-b\",\"address\":\"127.0.0.1:" + portB + "\"}]");
      assertThat(cp.get("/api/v1/status").path("listeners").toString()).isEqualTo("[]");

      await().atMost(Duration.ofSeconds(10)).until(() -> cp.get("/api/v1/nodes").path("converged").asBoolean());
      ServerProcess.Result nodes = cp.sluice("get", "nodes");
      assertThat(nodes.exitCode()).as(nodes.stderr()).isZero();
      List<String> lines = nodes.stdoutLines();
      assertThat(row(lines.get(0))).containsExactly("NODE", "ROLE", "LABELS", "REVISION", "LAG", "VERSION", "UPTIME", "ADDRESS", "LAST ERROR", "CANARY");
      assertThat(lines).hasSize(4);
      assertThat(row(lines.get(1)).subList(0, 5)).containsExactly("cp", "control-plane", "-", "2", "0");
      assertThat(row(lines.get(1)).subList(7, 9)).containsExactly(cp.url().substring("http://".length()), "-");
      assertThat(row(lines.get(2)).subList(0, 5)).containsExactly("edge-a", "data-plane", "tier=edge,zone=a", "2", "0");
      assertThat(row(lines.get(3)).subList(0, 5)).containsExactly("edge-b", "data-plane", "zone=b", "2", "0");
      // Any node's admin API shows the same fleet.
      assertThat(b.get("/api/v1/nodes").path("items").findValuesAsText("id")).containsExactly("cp", "edge-a", "edge-b");

      ServerProcess.Result listeners = cp.sluice("get", "listeners");
      assertThat(listeners.exitCode()).as(listeners.stderr()).isZero();
      assertThat(listeners.stdoutLines().stream().map(FleetTest::row).toList()).containsExactly(
          List.of("KIND", "NAME", "REVISION", "SUMMARY"),
          List.of("Listener", "edge-a", "1", "127.0.0.1:" + portA + " (nodes zone=a)"),
          List.of("Listener", "edge-b", "1", "127.0.0.1:" + portB + " (nodes zone=b)"));

      ServerProcess.Result status = a.sluice("status");
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      assertThat(status.stdoutLines()).contains("listeners:        edge-a 127.0.0.1:" + portA,
          "fleet:            converged on revision 2 (3 nodes)");
    }
  }

  /** Three listeners, one per data-plane node ({@code node=dpK}), "/" proxied to the backend and "/v" answering {@code version}. */
  private static String outageConfig(List<Integer> ports, String backend, String version) {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < ports.size(); i++) {
      json.append("""
          {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"dp%d"},
           "spec":{"address":"127.0.0.1:%d","nodeSelector":{"node":"dp%d"}}},""".formatted(i + 1, ports.get(i), i + 1));
    }
    return json.append("""
        {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"backend"},"spec":{"endpoints":[{"address":"%s"}]}},
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"proxied"},
         "spec":{"match":{"path":{"exact":"/"}},"upstream":"backend"}},
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"version"},
         "spec":{"match":{"path":{"exact":"/v"}},"directResponse":{"status":200,"body":"%s"}}}]""".formatted(backend, version))
        .toString();
  }

  /**
   * Applies through {@code cp} until the store acknowledges (while etcd elects a leader or reconnects,
   * the control plane answers 503 and nothing is written); returns and records the acknowledged revision.
   */
  private static long applyAcknowledged(Node cp, String json, List<Long> acknowledged) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      HttpResponse<String> r = cp.send("POST", "/api/v1/apply", json);
      if (r.statusCode() == 200) {
        long revision = ControlPlane.JSON.readTree(r.body()).path("revision").asLong();
        acknowledged.add(revision);
        return revision;
      }
      assertThat(r.statusCode()).as("apply: %s", r.body()).isEqualTo(503);
      assertThat(System.nanoTime()).as("no acknowledged apply within 60 s; last answer: %s", r.body()).isLessThan(deadline);
    }
  }

  private static String getPath(int port, String path) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + " " + r.body();
    }
  }

  private static void awaitServing(List<Integer> ports, String version) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (int port : ports) {
        if (!getPath(port, "/v").equals("200 " + version)) return false;
      }
      return true;
    });
  }

  @Test
  void noRequestFailsAcrossTheFleetWhileEtcdLosesItsLeaderStopsWholeAndReturnsAndADataPlaneRestartsMeanwhile(@TempDir Path dir)
      throws Exception {
    List<AutoCloseable> toClose = new ArrayList<>();
    List<LoadLoop> loads = new ArrayList<>();
    List<Long> acknowledged = new ArrayList<>();
    String backendBody = "from the backend";
    try {
      EtcdProcess cluster = EtcdProcess.start(dir.resolve("etcd"), 3);
      toClose.add(cluster);
      TestUpstream backend = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), backendBody));
      toClose.add(backend);
      String url = cluster.url("/sluice/outage");
      List<Integer> ports = List.of(GatewayFixture.freePort(), GatewayFixture.freePort(), GatewayFixture.freePort());
      Node cp = Node.start(url, dir, "cp", "control-plane");
      toClose.add(cp);
      List<Node> dps = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        Node dp = Node.start(url, dir, "dp" + i, "data-plane", "--node-label", "node=dp" + i);
        toClose.add(dp);
        dps.add(dp);
      }
      applyAcknowledged(cp, outageConfig(ports, backend.address(), "v1"), acknowledged);
      for (int i = 0; i < 3; i++) dps.get(i).process().awaitPort(ports.get(i));
      awaitServing(ports, "v1");
      for (int port : ports) loads.add(new LoadLoop(port, backendBody));
      for (LoadLoop load : loads) load.awaitMore(20, Duration.ofSeconds(10));

      // 1. etcd's leader dies: the other two members elect another, the control plane's writes go on
      // and every data plane follows them; then the member returns.
      int leader = cluster.leader();
      assertThat(leader).as("etcd's raft leader").isNotNegative();
      cluster.kill(leader);
      applyAcknowledged(cp, outageConfig(ports, backend.address(), "v2"), acknowledged);
      awaitServing(ports, "v2");
      cluster.restart(leader);
      applyAcknowledged(cp, outageConfig(ports, backend.address(), "v3"), acknowledged);
      awaitServing(ports, "v3");
      // Each data plane wrote the revision to its last-known-good cache before etcd goes away.
      for (Node dp : dps) {
        await().atMost(Duration.ofSeconds(10)).until(() -> dp.get("/api/v1/status").path("appliedRevision").asLong() == acknowledged.getLast());
      }
      LastApplied cache = new LastApplied(dir.resolve("dp2"), EtcdConnection.parse(url).url());
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(cache.file()) && cache.read().revision() == acknowledged.getLast());

      // 2. The whole cluster stops: every node keeps serving and says the store is unreachable.
      for (int i = 0; i < 3; i++) cluster.stop(i);
      for (Node dp : dps) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !dp.get("/api/v1/status").path("store").path("reachable").asBoolean());
      }
      for (LoadLoop load : loads) load.awaitMore(25, Duration.ofSeconds(20));

      // 3. A data plane restarts while etcd is down: out of rotation (no request to a closed port),
      // drained, started again from its last-known-good cache, back in rotation.
      loads.get(1).pause();
      Node second = dps.get(1);
      second.close();
      toClose.remove(second);
      second = Node.start(url, dir, "dp2", "data-plane", "--node-label", "node=dp2", "--store-connect-timeout", "1s");
      toClose.add(second);
      dps.set(1, second);
      second.process().awaitPort(ports.get(1));
      loads.get(1).resume();
      assertThat(second.get("/api/v1/status").path("store").path("servingFromCache").path("revision").asLong())
          .isEqualTo(acknowledged.getLast());
      assertThat(getPath(ports.get(1), "/v")).isEqualTo("200 v3");
      for (LoadLoop load : loads) load.awaitMore(25, Duration.ofSeconds(20));

      // 4. etcd returns: the control plane's next write gets through, every node converges on it,
      // the restarted one included (it leaves its cache and joins the membership).
      cluster.restartAll();
      long last = applyAcknowledged(cp, outageConfig(ports, backend.address(), "v4"), acknowledged);
      awaitServing(ports, "v4");
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        JsonNode nodes = cp.get("/api/v1/nodes");
        return nodes.path("converged").asBoolean() && nodes.path("items").size() == 4
            && nodes.path("items").findValues("appliedRevision").stream().allMatch(r -> r.asLong() == last);
      });
      assertThat(cp.get("/api/v1/nodes").path("items").findValuesAsText("id")).containsExactly("cp", "dp1", "dp2", "dp3");
      Node restarted = second;
      await().atMost(Duration.ofSeconds(20)).until(() -> restarted.get("/api/v1/status").path("store").path("servingFromCache").isNull());
      for (LoadLoop load : loads) load.awaitMore(25, Duration.ofSeconds(20));

      // Every revision acknowledged before and during the outage is in the history after it.
      JsonNode history = cp.get("/api/v1/routes/version/history");
      assertThat(history.path("items").findValues("revision").stream().map(JsonNode::asLong).toList()).containsAll(acknowledged);
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(last);
    } finally {
      for (LoadLoop load : loads) load.close();
      for (AutoCloseable c : toClose.reversed()) c.close();
    }
    long answered = loads.stream().mapToLong(LoadLoop::ok).sum();
    List<String> failed = loads.stream().flatMap(l -> l.failures().stream()).toList();
    System.out.println("load through 3 data planes: " + answered + " requests answered, " + failed.size() + " failed");
    assertThat(failed).as("failed requests").isEmpty();
    assertThat(acknowledged).hasSize(4);
  }

  @Test
  void aDataPlaneNodeRefusesWritesNamingTheControlPlaneAndServesReadsAndMetrics(@TempDir Path data) throws Exception {
    String url = etcd.url("/sluice/read-only");
    try (Node cp = Node.start(url, data, "cp", "control-plane");
        Node dp = Node.start(url, data, "edge", "data-plane")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.get("/api/v1/nodes").path("items").size() == 2);
      String route = """
          {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"r"},
           "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"x"}}}""";
      String refusal = "{\"error\":\"forbidden\",\"message\":\"node edge is a data plane (--role data-plane) and takes no writes;"
          + " send them to the control plane at " + cp.url() + "\",\"reason\":\"read_only_node\",\"details\":[]}";
      HttpResponse<String> apply = dp.send("POST", "/api/v1/apply", "[" + route + "]");
      assertThat(apply.statusCode()).isEqualTo(403);
      assertThat(apply.body()).isEqualTo(refusal);
      HttpResponse<String> delete = dp.send("DELETE", "/api/v1/routes/r", null);
      assertThat(delete.statusCode()).isEqualTo(403);
      assertThat(delete.body()).isEqualTo(refusal);
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isZero();
      // A dry run writes nothing: it is served, as are reads, status and metrics.
      assertThat(dp.send("POST", "/api/v1/apply?dryRun=true", "[" + route + "]").statusCode()).isEqualTo(200);
      assertThat(dp.get("/api/v1/routes").path("items").size()).isZero();
      assertThat(dp.get("/api/v1/status").path("nodeId").asText()).isEqualTo("edge");
      HttpResponse<String> metrics = dp.send("GET", "/metrics", null);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("sluice_config_revision 0");
      // The control plane takes it.
      assertThat(cp.send("POST", "/api/v1/apply", "[" + route + "]").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aKilledDataPlaneNodeLeavesTheFleetWhenItsLeaseRunsOut(@TempDir Path data) throws Exception {
    String url = etcd.url("/sluice/leases");
    try (Node cp = Node.start(url, data, "cp", "control-plane");
        Node dp = Node.start(url, data, "doomed", "data-plane")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.get("/api/v1/nodes").path("items").size() == 2);
      dp.process().kill();
      long killed = System.nanoTime();
      // Nothing deregistered it: it is listed until etcd expires its lease (5 s).
      assertThat(cp.get("/api/v1/nodes").path("items").findValuesAsText("id")).containsExactly("cp", "doomed");
      await().atMost(Duration.ofSeconds(15)).until(() -> cp.get("/api/v1/nodes").path("items").size() == 1);
      assertThat(Duration.ofNanos(System.nanoTime() - killed)).isGreaterThan(Duration.ofSeconds(3));
      ServerProcess.Result nodes = cp.sluice("get", "nodes");
      assertThat(nodes.stdoutLines()).hasSize(2);
      assertThat(row(nodes.stdoutLines().get(1)).get(0)).isEqualTo("cp");
    }
  }

  @Test
  void aNodeThatStopsLeavesTheFleetAtOnce(@TempDir Path data) throws Exception {
    String url = etcd.url("/sluice/stops");
    try (Node cp = Node.start(url, data, "cp", "control-plane");
        Node dp = Node.start(url, data, "leaving", "data-plane")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.get("/api/v1/nodes").path("items").size() == 2);
      dp.process().terminate();
      assertThat(dp.process().waitForExit(Duration.ofSeconds(20))).isZero();
      assertThat(cp.get("/api/v1/nodes").path("items").findValuesAsText("id")).containsExactly("cp");
    }
  }

  @Test
  void rolesOtherThanAllNeedAnEtcdStoreAndBadLabelsAreRefusedNamingTheValue() throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--role", "data-plane");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --role data-plane needs a store the fleet shares (--store etcd://...);"
        + " with the embedded store (--data-dir) a node is the whole fleet: --role all");
    r = ServerProcess.run("serve", "--role", "edge");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --role 'edge': expected one of all, control-plane, data-plane");
    r = ServerProcess.run("serve", "--node-label", "zone");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --node-label 'zone': expected KEY=VALUE, such as zone=a");
    r = ServerProcess.run("serve", "--node-label", "zone=a b");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --node-label 'zone=a b': invalid label value 'a b': expected at"
        + " most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)");
    r = ServerProcess.run("serve", "--store", etcd.url("/sluice/x"), "--role", "data-plane", "--config-dir", ".");
    assertThat(r.exitCode()).isEqualTo(Main.USAGE);
    assertThat(r.stderrLines()).containsExactly(
        "sluice serve: --config-dir writes into the store, which a data-plane node does not; give it to the control plane");
  }
}
