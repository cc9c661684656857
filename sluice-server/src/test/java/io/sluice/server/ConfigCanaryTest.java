package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.server.FleetTest.Node;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jspecify.annotations.Nullable;

/**
 * The config canary on a fleet of real processes: one etcd, a control plane and three data-plane
 * nodes (labels zone=a; zone=b; zone=b), each data-plane node with a listener of its own
 * ({@code nodeSelector: {node: ID}}) so that a request shows which revision that node serves.
 */
class ConfigCanaryTest {
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

  /** The control plane, the data-plane nodes by id, and each node's listener port. */
  record Fleet(Node cp, Map<String, Node> nodes, Map<String, Integer> ports, Path dir, @Nullable Node cp2) implements AutoCloseable {
    static final Map<String, String> ZONES = Map.of("n1", "a", "n2", "b", "n3", "b");
    /** On a busy machine etcd may take longer than the default 5 s to answer a starting node. */
    static final String[] WAIT = {"--store-connect-timeout", "30s"};

    static Fleet start(String prefix, Path data) throws Exception {
      return start(prefix, data, false);
    }

    /** @param secondControlPlane whether a second control plane ({@code cp2}, started last) runs too */
    static Fleet start(String prefix, Path data, boolean secondControlPlane) throws Exception {
      String url = etcd.url(prefix);
      Node cp = Node.start(url, data, "cp", "control-plane", WAIT);
      Node cp2 = null;
      Map<String, Node> nodes = new LinkedHashMap<>();
      Map<String, Integer> ports = new LinkedHashMap<>();
      try {
        for (String id : List.of("n1", "n2", "n3")) {
          nodes.put(id, Node.start(url, data, id, "data-plane", WAIT[0], WAIT[1], "--node-label", "zone=" + ZONES.get(id),
              "--node-label", "node=" + id));
          ports.put(id, GatewayFixture.freePort());
        }
        if (secondControlPlane) cp2 = Node.start(url, data, "cp2", "control-plane", WAIT);
      } catch (Exception | Error e) {
        nodes.values().forEach(Node::close);
        cp.close();
        throw e;
      }
      Fleet f = new Fleet(cp, nodes, ports, data, cp2);
      int count = secondControlPlane ? 5 : 4;
      await().atMost(Duration.ofSeconds(20)).until(() -> cp.get("/api/v1/nodes").path("items").size() == count);
      return f;
    }

    /** The listeners, one per data-plane node, and {@code more}. */
    String config(String... more) {
      List<String> objects = new ArrayList<>();
      ports.forEach((id, port) -> objects.add("""
          {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"l-%s"},
           "spec":{"address":"127.0.0.1:%d","nodeSelector":{"node":"%s"}}}""".formatted(id, port, id)));
      objects.addAll(List.of(more));
      return "[" + String.join(",", objects) + "]";
    }

    /** Applies {@code json} through the control plane and waits until every node answers {@code expected}. */
    void applyAndAwait(String json, String expected) throws Exception {
      HttpResponse<String> r = cp.send("POST", "/api/v1/apply", json);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> answers().values().stream().allMatch(expected::equals));
    }

    /** What each data-plane node's listener answers to {@code GET /}. */
    Map<String, String> answers() throws IOException {
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<String, Integer> e : ports.entrySet()) out.put(e.getKey(), get(e.getValue()));
      return out;
    }

    Path file(String name, String json) throws IOException {
      Path p = dir.resolve(name);
      Files.writeString(p, json);
      return p;
    }

    JsonNode canary() throws Exception {
      return cp.get("/api/v1/canary");
    }

    @Override
    public void close() {
      nodes.values().forEach(Node::close);
      if (cp2 != null) cp2.close();
      cp.close();
    }
  }

  static String route(String body) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
         "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"%s"}}}""".formatted(body);
  }

  /** Route hello to an upstream whose only endpoint refuses connections: every request a 5xx. */
  static String deadUpstream(int port) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"dead"},
         "spec":{"endpoints":[{"address":"127.0.0.1:%d"}]}},
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
         "spec":{"match":{"path":{"prefix":"/"}},"upstream":"dead"}}""".formatted(port);
  }

  static String get(int port) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + (r.status() == 200 ? " " + r.body() : "");
    }
  }

  @Test
  void aCanaryByLabelReachesExactlyTheSelectedNodesShowsBothSidesRefusesOtherChangesAndPromotesEverywhere(@TempDir Path data)
      throws Exception {
    try (Fleet f = Fleet.start("/sluice/canary-label", data)) {
      f.applyAndAwait(f.config(route("v1")), "200 v1");
      Path v2 = f.file("v2.json", "[" + route("v2") + "]");

      ServerProcess.Result started = f.cp().sluice("apply", "-f", v2.toString(), "--canary", "zone=a", "-m", "try v2");
      assertThat(started.exitCode()).as(started.stderr()).isZero();
      JsonNode canary = f.canary().path("canary");
      String id = canary.path("id").asText();
      assertThat(started.stdoutLines()).containsExactly(
          "canary " + id + " started on n1 (zone=a), on top of revision 1; the other nodes keep serving it",
          "sluice canary status compares them; sluice canary promote publishes it everywhere, sluice canary abort drops it");
      assertThat(canary.path("nodes").toString()).isEqualTo("[\"n1\"]");
      assertThat(canary.path("objects").toString()).isEqualTo("[\"Route/hello\"]");
      await().atMost(Duration.ofSeconds(10)).until(() -> f.answers().get("n1").equals("200 v2"));
      assertThat(f.answers()).containsExactly(Map.entry("n1", "200 v2"), Map.entry("n2", "200 v1"), Map.entry("n3", "200 v1"));
      // The store did not move: the canary is no revision.
      assertThat(f.cp().get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(1);

      // Another change while it runs is refused, naming the canary and the ways out.
      HttpResponse<String> refused = f.cp().send("POST", "/api/v1/apply", "[" + route("v3") + "]");
      assertThat(refused.statusCode()).isEqualTo(409);
      assertThat(refused.body()).isEqualTo("{\"error\":\"conflict\",\"message\":\"canary " + id + " (zone=a on n1, started by local at "
          + canary.path("startedAt").asText() + ") is running; only one change at a time: promote it (sluice canary promote) or"
          + " abort it (sluice canary abort) first, or pass --force (force=true) to abort it and apply this change\","
          + "\"reason\":\"canary_running\",\"details\":[]}");
      ServerProcess.Result second = f.cp().sluice("apply", "-f", v2.toString(), "--canary", "zone=b");
      assertThat(second.exitCode()).isEqualTo(1);
      assertThat(second.stderr()).contains("canary " + id + " (zone=a on n1, started by local at ");

      // Traffic on both sides: status shows each side's numbers from the nodes' own metrics.
      for (int i = 0; i < 30; i++) f.answers();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        JsonNode c = f.canary().path("comparison");
        return c.path("canary").path("requests").asLong() >= 30 && c.path("rest").path("requests").asLong() >= 60;
      });
      JsonNode cmp = f.canary().path("comparison");
      assertThat(cmp.path("canary").path("nodes").toString()).isEqualTo("[\"n1\"]");
      assertThat(cmp.path("rest").path("nodes").toString()).isEqualTo("[\"n2\",\"n3\"]");
      assertThat(cmp.path("canary").path("errors").asLong()).isZero();
      assertThat(cmp.path("verdict").asText()).isEqualTo("healthy");
      ServerProcess.Result status = f.cp().sluice("canary", "status");
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      List<String> lines = status.stdoutLines();
      assertThat(lines.get(0)).isEqualTo("canary:      " + id + " (zone=a) on n1");
      assertThat(lines.get(2)).isEqualTo("objects:     Route/hello");
      assertThat(lines.get(3)).isEqualTo("auto abort:  after 30s worse by more than 5.0% of 5xx or 250ms of p99 (at least 20 canary requests)");
      assertThat(List.of(lines.get(4).strip().split(" {2,}"))).containsExactly("NODES", "REQUESTS", "5XX", "5XX RATE", "P99");
      assertThat(lines.get(5)).matches("canary +n1 +\\d+ +0 +0\\.0% +\\d+\\.\\dms");
      assertThat(lines.get(6)).matches("rest +n2, n3 +\\d+ +0 +0\\.0% +\\d+\\.\\dms");
      assertThat(lines.get(7)).isEqualTo("verdict:     healthy");

      ServerProcess.Result promoted = f.cp().sluice("canary", "promote");
      assertThat(promoted.exitCode()).as(promoted.stderr()).isZero();
      assertThat(promoted.stdoutLines().getFirst()).isEqualTo("canary " + id + " promoted as revision 2; every node follows it");
      await().atMost(Duration.ofSeconds(20)).until(() -> f.answers().values().stream().allMatch("200 v2"::equals));
      await().atMost(Duration.ofSeconds(10)).until(() -> f.cp().get("/api/v1/nodes").path("converged").asBoolean());
      JsonNode revision = f.cp().get("/api/v1/revisions?after=1").path("items").get(0);
      assertThat(revision.path("revision").asLong()).isEqualTo(2);
      assertThat(revision.path("author").asText()).isEqualTo("local");
      assertThat(revision.path("message").asText()).isEqualTo("canary " + id + " promoted by local: try v2");
      JsonNode after = f.canary();
      assertThat(after.path("canary").isNull()).isTrue();
      JsonNode last = after.path("history").get(after.path("history").size() - 1);
      assertThat(last.path("id").asText()).isEqualTo(id);
      assertThat(last.path("state").asText()).isEqualTo("promoted");
      assertThat(last.path("reason").asText()).isEqualTo("promoted by local as revision 2");
      // Changes go through again.
      assertThat(f.cp().send("POST", "/api/v1/apply", "[" + route("v3") + "]").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aCanaryByPercentageTakesOneNodeAbortReturnsItToTheBaseAndForceAbortsARunningCanaryToApply(@TempDir Path data)
      throws Exception {
    try (Fleet f = Fleet.start("/sluice/canary-percent", data)) {
      f.applyAndAwait(f.config(route("v1")), "200 v1");
      Path v2 = f.file("v2.json", "[" + route("v2") + "]");

      ServerProcess.Result started = f.cp().sluice("apply", "-f", v2.toString(), "--canary", "30%");
      assertThat(started.exitCode()).as(started.stderr()).isZero();
      JsonNode canary = f.canary().path("canary");
      String id = canary.path("id").asText();
      assertThat(canary.path("nodes").size()).isEqualTo(1);
      String chosen = canary.path("nodes").get(0).asText();
      await().atMost(Duration.ofSeconds(10)).until(() -> f.answers().get(chosen).equals("200 v2"));
      Map<String, String> answers = f.answers();
      answers.forEach((node, answer) -> assertThat(answer).as(node).isEqualTo(node.equals(chosen) ? "200 v2" : "200 v1"));

      ServerProcess.Result aborted = f.cp().sluice("canary", "abort", "-m", "v2 looks wrong");
      assertThat(aborted.exitCode()).as(aborted.stderr()).isZero();
      assertThat(aborted.stdoutLines()).containsExactly("canary " + id + " aborted; its nodes (" + chosen + ") serve revision 1 again");
      await().atMost(Duration.ofSeconds(10)).until(() -> f.answers().values().stream().allMatch("200 v1"::equals));
      JsonNode history = f.canary().path("history");
      JsonNode last = history.get(history.size() - 1);
      assertThat(last.path("state").asText()).isEqualTo("aborted");
      assertThat(last.path("by").asText()).isEqualTo("local");
      assertThat(last.path("reason").asText()).isEqualTo("v2 looks wrong");
      assertThat(f.cp().get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(1);

      // A forced change aborts a running canary and applies.
      HttpResponse<String> second = f.cp().send("POST", "/api/v1/apply?canary=zone%3Db", "[" + route("v2") + "]");
      assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
      String secondId = ConfigCanaryTest.json(second.body()).path("id").asText();
      await().atMost(Duration.ofSeconds(10)).until(() -> f.answers().get("n2").equals("200 v2") && f.answers().get("n3").equals("200 v2"));
      assertThat(f.answers().get("n1")).isEqualTo("200 v1");
      Path v3 = f.file("v3.json", "[" + route("v3") + "]");
      ServerProcess.Result forced = f.cp().sluice("apply", "-f", v3.toString(), "--force");
      assertThat(forced.exitCode()).as(forced.stderr()).isZero();
      assertThat(forced.stdoutLines()).contains("applied as revision 2");
      await().atMost(Duration.ofSeconds(20)).until(() -> f.answers().values().stream().allMatch("200 v3"::equals));
      JsonNode after = f.canary();
      assertThat(after.path("canary").isNull()).isTrue();
      JsonNode end = after.path("history").get(after.path("history").size() - 1);
      assertThat(end.path("id").asText()).isEqualTo(secondId);
      assertThat(end.path("state").asText()).isEqualTo("aborted");
      assertThat(end.path("reason").asText()).isEqualTo("aborted by a forced write (POST /api/v1/apply) of local");
    }
  }

  @Test
  void aCanaryThatRoutesToADeadUpstreamIsAbortedAutomaticallyWithinItsWindowAndANewLeaderTakesOverTheController(
      @TempDir Path data) throws Exception {
    try (Fleet f = Fleet.start("/sluice/canary-auto", data, true)) {
      f.applyAndAwait(f.config(route("v1")), "200 v1");
      int dead = GatewayFixture.closedPort();
      HttpResponse<String> r = f.cp().send("POST", "/api/v1/apply?canary=zone%3Da&canaryWindow=3s&canaryMinRequests=5",
          "[" + deadUpstream(dead) + "]");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      String id = json(r.body()).path("id").asText();
      await().atMost(Duration.ofSeconds(10)).until(() -> f.answers().get("n1").equals("502"));

      AtomicBoolean load = new AtomicBoolean(true);
      Thread loader = Thread.ofPlatform().daemon().start(() -> {
        while (load.get()) {
          try {
            f.answers();
            Thread.sleep(20);
          } catch (IOException | InterruptedException e) {
            return;
          }
        }
      });
      try {
        long since = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> f.canary().path("canary").isNull());
        Duration took = Duration.ofNanos(System.nanoTime() - since);
        // The window (3 s), plus the nodes' 1 s sampling, the controller's 1 s evaluation and the follower's 0.5 s poll.
        assertThat(took).isLessThan(Duration.ofSeconds(3 + 6));
        JsonNode history = f.canary().path("history");
        JsonNode last = history.get(history.size() - 1);
        assertThat(last.path("id").asText()).isEqualTo(id);
        assertThat(last.path("state").asText()).isEqualTo("aborted");
        assertThat(last.path("by").asText()).isEqualTo("canary-controller");
        // The canary's numbers: its 502s, and the 200s it served in the 10 s window before it took the canary.
        assertThat(last.path("reason").asText()).matches("automatic abort: 5xx rate \\d+\\.\\d% on the canary \\(\\d+ of \\d+\\) against"
            + " 0\\.0% on the rest \\(0 of \\d+\\), margin 5\\.0%, for 3\\.0s \\(over the nodes' last \\d+s\\)");
        await().atMost(Duration.ofSeconds(10)).until(() -> f.answers().values().stream().allMatch("200 v1"::equals));
        assertThat(f.cp().get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(1);

        // The controller's node dies during the next canary: the other control plane's controller aborts it.
        HttpResponse<String> again = f.cp().send("POST", "/api/v1/apply?canary=zone%3Da&canaryWindow=2s&canaryMinRequests=5",
            "[" + deadUpstream(dead) + "]");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        String againId = json(again.body()).path("id").asText();
        Node cp2 = java.util.Objects.requireNonNull(f.cp2());
        assertThat(f.canary().path("controller").asText()).isEqualTo("cp");
        load.set(false);
        loader.join();
        f.cp().process().kill();
        Node survivor = cp2;
        await().atMost(Duration.ofSeconds(30)).until(() -> survivor.get("/api/v1/canary").path("controller").asText("").equals("cp2"));
        load.set(true);
        loader = Thread.ofPlatform().daemon().start(() -> {
          while (load.get()) {
            try {
              f.answers();
              Thread.sleep(20);
            } catch (IOException | InterruptedException e) {
              return;
            }
          }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> survivor.get("/api/v1/canary").path("canary").isNull());
        JsonNode h = survivor.get("/api/v1/canary").path("history");
        JsonNode end = h.get(h.size() - 1);
        assertThat(end.path("id").asText()).isEqualTo(againId);
        assertThat(end.path("by").asText()).isEqualTo("canary-controller");
        assertThat(end.path("reason").asText()).matches("automatic abort: 5xx rate \\d+\\.\\d% on the canary \\(\\d+ of \\d+\\) against"
            + " 0\\.0% on the rest \\(0 of \\d+\\), margin 5\\.0%, for 2\\.0s \\(over the nodes' last \\d+s\\)");
      } finally {
        load.set(false);
        loader.join();
      }
    }
  }

  @Test
  void theEmbeddedStoreRefusesACanaryForWantOfAFleet(@TempDir Path data) throws Exception {
    try (ServerProcess server = ServerProcess.start("serve", "--data-dir", data.toString(), "--admin-address", "127.0.0.1:0",
        "--event-loops", "1")) {
      int admin = server.adminPort();
      Path file = data.resolve("v.json");
      Files.writeString(file, "[" + route("v") + "]");
      ServerProcess.Result r = ServerProcess.run("apply", "-f", file.toString(), "--canary", "zone=a", "--server",
          "http://127.0.0.1:" + admin);
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.stderrLines().getFirst()).isEqualTo("error: 409 conflict (no_fleet): canaries need a fleet: this node runs on the embedded store (--data-dir)"
          + " and is the whole fleet; serve the nodes on etcd (--store etcd://...) with data-plane nodes to canary a change");
      ServerProcess.Result status = ServerProcess.run("canary", "status", "--server", "http://127.0.0.1:" + admin);
      assertThat(status.exitCode()).isEqualTo(1);
    }
  }

  static JsonNode json(String body) throws IOException {
    return ControlPlane.JSON.readTree(body);
  }
}
