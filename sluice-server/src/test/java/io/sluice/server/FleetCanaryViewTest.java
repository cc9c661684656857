package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.server.FleetTest.Node;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config canary beyond the admin API's writes, on real processes: a control plane and two
 * data-plane nodes on one etcd ({@code n1} labelled zone=a, {@code n2} zone=b, each with a listener
 * of its own). The config directory waits for a running canary; {@code sluice get nodes},
 * {@code sluice status} and {@code GET /api/v1/nodes} show it; only nodes that take writes campaign
 * in the fleet's election.
 */
class FleetCanaryViewTest {
  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;
  /** On a busy machine etcd may take longer than the default 5 s to answer a starting node. */
  private static final String[] WAIT = {"--store-connect-timeout", "30s"};

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(tmp.resolve("etcd"));
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  /** A control plane ({@code cpArgs} added) and the data-plane nodes n1 (zone=a) and n2 (zone=b). */
  private record Fleet(Node cp, Node n1, Node n2, int port1, int port2) implements AutoCloseable {
    static Fleet start(String prefix, Path data, String... cpArgs) throws Exception {
      String url = etcd.url(prefix);
      List<String> args = new ArrayList<>(List.of(WAIT));
      args.addAll(List.of(cpArgs));
      Node cp = Node.start(url, data, "cp", "control-plane", args.toArray(String[]::new));
      Node n1 = null;
      try {
        n1 = Node.start(url, data, "n1", "data-plane", WAIT[0], WAIT[1], "--node-label", "zone=a", "--node-label", "node=n1");
        Node n2 = Node.start(url, data, "n2", "data-plane", WAIT[0], WAIT[1], "--node-label", "zone=b", "--node-label", "node=n2");
        Fleet f = new Fleet(cp, n1, n2, GatewayFixture.freePort(), GatewayFixture.freePort());
        await().atMost(Duration.ofSeconds(20)).until(() -> cp.get("/api/v1/nodes").path("items").size() == 3);
        return f;
      } catch (Exception | Error e) {
        if (n1 != null) n1.close();
        cp.close();
        throw e;
      }
    }

    /** Each data-plane node's listener. */
    String listeners() {
      return listener("n1", port1) + "," + listener("n2", port2);
    }

    /** What n1 and n2 answer to {@code GET path}. */
    List<String> answers(String path) throws IOException {
      return List.of(get(port1, path), get(port2, path));
    }

    long storeRevision() throws Exception {
      return cp.get("/api/v1/status").path("storeRevision").asLong();
    }

    @Override
    public void close() {
      n2.close();
      n1.close();
      cp.close();
    }
  }

  private static String listener(String node, int port) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"l-%s"},
         "spec":{"address":"127.0.0.1:%d","nodeSelector":{"node":"%s"}}}""".formatted(node, port, node);
  }

  private static String route(String name, String path, String body) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"%s"},
         "spec":{"match":{"path":{"prefix":"%s"}},"directResponse":{"status":200,"body":"%s"}}}""".formatted(name, path, body);
  }

  private static String get(int port, String path) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + (r.status() == 200 ? " " + r.body() : "");
    }
  }

  /** Starts a canary of {@code json} on zone=a (n1) through the CLI and waits until n1 serves it; returns its record. */
  private static JsonNode canaryOnN1(Fleet f, Path dir, String json, String path, String expected) throws Exception {
    Path file = Files.writeString(dir.resolve("canary.json"), json);
    ServerProcess.Result started = f.cp().sluice("apply", "-f", file.toString(), "--canary", "zone=a");
    assertThat(started.exitCode()).as(started.stderr()).isZero();
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> get(f.port1(), path).equals(expected));
    return f.cp().get("/api/v1/canary").path("canary");
  }

  @Test
  void aConfigDirectoryChangeDuringACanaryWaitsNamingTheCanaryAndIsAppliedOnceTheCanaryEnds(@TempDir Path data) throws Exception {
    Path config = Files.createDirectories(data.resolve("config"));
    Path routes = config.resolve("routes.json");
    try (Fleet f0 = Fleet.start("/sluice/canary-config-dir", data, "--config-dir", config.toString(), "--config-dir-settle", "100ms")) {
      Fleet f = f0;
      Files.writeString(config.resolve("listeners.json"), "[" + f.listeners() + "]");
      Files.writeString(routes, "[" + route("hello", "/", "v1") + "]");
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> f.answers("/").equals(List.of("200 v1", "200 v1")));
      long before = f.storeRevision();

      // A canary of an object the directory does not manage (the admin API refuses to change those).
      JsonNode canary = canaryOnN1(f, data, "[" + route("extra", "/extra", "canary") + "]", "/extra", "200 canary");
      String id = canary.path("id").asText();

      Files.writeString(routes, "[" + route("hello", "/", "v2") + "]");
      await().atMost(Duration.ofSeconds(20)).until(() -> f.cp().process().stderr().contains(
          config + " (config-dir: changed routes.json) waits for canary " + id + " (zone=a on n1, started by local at "
              + canary.path("startedAt").asText() + "): only one change at a time; it is applied once the canary is promoted"
              + " (sluice canary promote) or aborted (sluice canary abort)"));
      // It keeps waiting over several rechecks: nothing is written, every node serves what it served.
      await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10))
          .until(() -> f.storeRevision() == before && f.answers("/").equals(List.of("200 v1", "200 v1")));
      assertThat(f.cp().get("/api/v1/canary").path("canary").path("id").asText()).isEqualTo(id);

      ServerProcess.Result aborted = f.cp().sluice("canary", "abort");
      assertThat(aborted.exitCode()).as(aborted.stderr()).isZero();
      // The waiting change goes in by itself once the canary is gone.
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> f.answers("/").equals(List.of("200 v2", "200 v2")));
      assertThat(f.storeRevision()).isEqualTo(before + 1);
      JsonNode revision = f.cp().get("/api/v1/revisions?after=" + before).path("items").get(0);
      assertThat(revision.path("author").asText()).isEqualTo("config-dir");
      assertThat(revision.path("message").asText()).isEqualTo("config-dir: changed routes.json");
      assertThat(f.cp().process().stderr()).contains("canary " + id + " ended; applying the change of " + config + " that waited for it");
      // The canary's route is gone from n1: /extra is hello's again.
      await().atMost(Duration.ofSeconds(10)).until(() -> f.answers("/extra").equals(List.of("200 v2", "200 v2")));
    }
  }

  @Test
  void getNodesStatusAndTheNodesApiShowTheRunningCanaryAndWhatEachNodeIsMeantToServe(@TempDir Path data) throws Exception {
    try (Fleet f = Fleet.start("/sluice/canary-view", data)) {
      HttpResponse<String> applied = f.cp().send("POST", "/api/v1/apply", "[" + f.listeners() + "," + route("hello", "/", "v1") + "]");
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> f.answers("/").equals(List.of("200 v1", "200 v1")));
      JsonNode noCanary = f.cp().get("/api/v1/nodes");
      assertThat(noCanary.path("canary").isNull()).isTrue();
      assertThat(noCanary.path("items").findValues("canary")).allMatch(JsonNode::isNull);

      JsonNode canary = canaryOnN1(f, data, "[" + route("hello", "/", "v2") + "]", "/", "200 v2");
      String id = canary.path("id").asText();
      String startedAt = canary.path("startedAt").asText();
      await().atMost(Duration.ofSeconds(10)).until(() -> f.n2().get("/api/v1/nodes").path("items").get(1).path("servedCanary").asText("")
          .equals(id));

      // Any node's admin API: the canary, and per node what it is meant to serve.
      JsonNode nodes = f.n2().get("/api/v1/nodes");
      assertThat(nodes.path("canary").toString()).isEqualTo("{\"id\":\"" + id + "\",\"baseRevision\":1,\"selector\":\"zone=a\","
          + "\"nodes\":[\"n1\"],\"author\":\"local\",\"startedAt\":\"" + startedAt + "\"}");
      List<String> ids = new ArrayList<>();
      nodes.path("items").forEach(n -> ids.add(n.path("id").asText()));
      assertThat(ids).containsExactly("cp", "n1", "n2");
      assertThat(nodes.path("items").get(0).path("canary").isNull()).isTrue();
      assertThat(nodes.path("items").get(1).path("canary").toString())
          .isEqualTo("{\"id\":\"" + id + "\",\"baseRevision\":1,\"serving\":true}");
      assertThat(nodes.path("items").get(1).path("servedCanary").asText()).isEqualTo(id);
      assertThat(nodes.path("items").get(2).path("canary").isNull()).isTrue();
      assertThat(nodes.path("items").get(2).path("servedCanary").isNull()).isTrue();

      ServerProcess.Result table = f.cp().sluice("get", "nodes");
      assertThat(table.exitCode()).as(table.stderr()).isZero();
      List<String> lines = table.stdoutLines();
      assertThat(lines).hasSize(4);
      assertThat(row(lines.get(0)).getLast()).isEqualTo("CANARY");
      assertThat(row(lines.get(1)).getFirst()).isEqualTo("cp");
      assertThat(row(lines.get(1)).getLast()).isEqualTo("-");
      assertThat(row(lines.get(2)).getFirst()).isEqualTo("n1");
      assertThat(row(lines.get(2)).getLast()).isEqualTo(id + " on 1 (serving)");
      assertThat(row(lines.get(3)).getFirst()).isEqualTo("n2");
      assertThat(row(lines.get(3)).getLast()).isEqualTo("-");

      ServerProcess.Result status = f.n1().sluice("status");
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      assertThat(status.stdoutLines()).contains("fleet:            converged on revision 1 (3 nodes)",
          "canary:           " + id + " (zone=a) on 1 of 2 data-plane nodes (n1), on top of revision 1, running since " + startedAt);

      ServerProcess.Result promoted = f.cp().sluice("canary", "promote");
      assertThat(promoted.exitCode()).as(promoted.stderr()).isZero();
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        JsonNode after = f.cp().get("/api/v1/nodes");
        return after.path("canary").isNull() && after.path("converged").asBoolean() && after.path("storeRevision").asLong() == 2
            && after.path("items").findValues("servedCanary").stream().allMatch(JsonNode::isNull);
      });
      ServerProcess.Result statusAfter = f.n1().sluice("status");
      assertThat(statusAfter.stdoutLines()).noneMatch(l -> l.startsWith("canary:"));
      assertThat(f.cp().sluice("get", "nodes").stdoutLines().stream().skip(1).map(l -> row(l).getLast())).containsOnly("-");
    }
  }

  @Test
  void onlyTheNodesThatTakeWritesCampaignInTheFleetsOneElection(@TempDir Path data) throws Exception {
    try (Fleet f = Fleet.start("/sluice/one-election", data); Client client = etcd.client()) {
      ByteSequence prefix = ByteSequence.from("/sluice/one-election/elections/", StandardCharsets.UTF_8);
      // The control plane leads (it runs the canary controller) ...
      await().atMost(Duration.ofSeconds(20)).until(() -> f.cp().get("/api/v1/canary").path("controller").asText("").equals("cp"));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.cp().get("/api/v1/status").path("store").path("leader").asText("").equals("cp"));
      // ... and is the only candidate: the data-plane nodes hold no election key or lease.
      List<String> candidates = new ArrayList<>();
      for (KeyValue kv : client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS).getKvs()) {
        candidates.add(kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.size()).replaceAll("/.*", "") + " "
            + kv.getValue().toString(StandardCharsets.UTF_8));
      }
      assertThat(candidates).containsExactly("canary-controller cp");
      assertThat(f.n1().get("/api/v1/status").path("store").path("leader").isNull()).isTrue();
    }
  }

  /** The cells of a table row, split at the table's column gaps. */
  private static List<String> row(String line) {
    return List.of(line.split(" {3,}"));
  }
}
