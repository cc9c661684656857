package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import io.sluice.server.cache.LastApplied;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.HistoryEntry;
import io.sluice.store.StoreException;
import io.sluice.store.etcd.EtcdConfigStore;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The last-known-good cache with real etcd and real {@code sluice serve} processes: a node starts from
 * its cache while etcd is down, refuses a damaged cache, catches up when etcd returns, and its clients
 * see no failed request through etcd's failures.
 */
class LastKnownGoodTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BACKEND_BODY = "from the backend";

  private TestUpstream backend;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void startBackend() throws IOException {
    EtcdProcess.assumeInstalled();
    backend = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), BACKEND_BODY));
  }

  @AfterEach
  void stopAll() throws Exception {
    for (AutoCloseable c : toClose.reversed()) c.close();
    if (backend != null) backend.close();
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  /** A listener, the backend as an upstream, "/" proxied to it and "/v" answering {@code version} directly. */
  private List<ConfigObject<?>> config(int port, String version) throws Exception {
    return ObjectCodec.readYaml("test.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: proxied}
        spec:
          match:
            path: {exact: /}
          upstream: backend
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: version}
        spec:
          match:
            path: {exact: /v}
          directResponse: {status: 200, body: "%s"}
        """.formatted(port, backend.address(), version));
  }

  private static long write(ConfigStore store, List<ConfigObject<?>> objects) throws Exception {
    ChangeSet.Builder b = ChangeSet.builder().author("another-writer").message("test");
    objects.forEach(b::put);
    return store.apply(b.build()).revision();
  }

  private static ServerProcess serve(String url, Path data, int admin, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("serve", "--store", url, "--data-dir", data.toString(), "--admin-address",
        "127.0.0.1:" + admin, "--event-loops", "1", "--node-id", "node-a"));
    args.addAll(List.of(more));
    return ServerProcess.start(args.toArray(String[]::new));
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static String get(int port, String path) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  private static JsonNode status(int admin) throws IOException, InterruptedException {
    return JSON.readTree(get(admin, "/api/v1/status").substring("200 ".length()));
  }

  @Test
  void aNodeStartedWhileEtcdIsDownServesItsCacheAndCatchesUpWithWhatIsWrittenOnceEtcdReturns(@TempDir Path dir) throws Exception {
    EtcdProcess etcd = closing(EtcdProcess.start(dir.resolve("etcd")));
    String url = etcd.url("/sluice/lkg-cache");
    Path data = dir.resolve("node");
    int port = GatewayFixture.freePort();
    int admin = GatewayFixture.freePort();
    try (ConfigStore writer = EtcdConfigStore.open(EtcdConnection.parse(url), PathPolicy.DEFAULT)) {
      assertThat(write(writer, config(port, "one"))).isEqualTo(1);
    }
    // A first run on etcd writes what it applied to its data directory, owner-only.
    try (ServerProcess node = serve(url, data, admin).awaitPort(port).awaitPort(admin)) {
      assertThat(get(port, "/v")).isEqualTo("200 one");
      Path file = data.resolve(LastApplied.FILE_NAME);
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(file));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
      JsonNode s = status(admin);
      assertThat(s.path("store").path("reachable").asBoolean()).isTrue();
      assertThat(s.path("store").path("servingFromCache").isNull()).isTrue();
      // The only node of the fleet leads it.
      await().atMost(Duration.ofSeconds(20)).until(() -> status(admin).path("store").path("leader").asText("").equals("node-a"));
      assertThat(ServerProcess.run("--server", "http://127.0.0.1:" + admin, "status").stdoutLines())
          .contains("store:            reachable", "leader:           node-a");
    }
    LastApplied.Cached cached = new LastApplied(data, EtcdConnection.parse(url).url()).read();
    assertThat(cached.revision()).isEqualTo(1);

    etcd.stop(0);
    Instant beforeStart = Instant.now();
    try (ServerProcess node = serve(url, data, admin, "--store-connect-timeout", "1s").awaitPort(port).awaitPort(admin)) {
      // The proxied route and the direct one, from the cache.
      assertThat(get(port, "/")).isEqualTo("200 " + BACKEND_BODY);
      assertThat(get(port, "/v")).isEqualTo("200 one");
      JsonNode s = status(admin);
      assertThat(s.path("appliedRevision").asLong()).isEqualTo(1);
      JsonNode store = s.path("store");
      assertThat(store.path("reachable").asBoolean()).isFalse();
      assertThat(store.path("unreachableReason").asText()).isNotEmpty();
      JsonNode fromCache = store.path("servingFromCache");
      assertThat(fromCache.path("revision").asLong()).isEqualTo(1);
      assertThat(Instant.parse(fromCache.path("writtenAt").asText())).isEqualTo(cached.writtenAt());
      Instant since = Instant.parse(fromCache.path("since").asText());
      assertThat(since).isAfterOrEqualTo(beforeStart.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).isBefore(Instant.now());
      ServerProcess.Result cli = ServerProcess.run("--server", "http://127.0.0.1:" + admin, "status");
      assertThat(cli.stdoutLines()).contains("config source:    serving from the local cache of revision 1 written at "
          + cached.writtenAt() + ", since " + fromCache.path("since").asText());
      assertThat(cli.stdoutLines()).anyMatch(l -> l.startsWith("store:            unreachable since "));
      assertThat(node.stdout() + node.stderr()).contains("serving from the local cache " + data.resolve(LastApplied.FILE_NAME)
          + " of revision 1");
      // Writes need the store: refused, naming why, and nothing changes.
      HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/api/v1/routes"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ObjectCodec.toJson(
              config(port, "x").getLast()))).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("this node serves its local cache of revision 1");

      etcd.restart(0);
      try (ConfigStore writer = EtcdConfigStore.open(EtcdConnection.parse(url), PathPolicy.DEFAULT)) {
        assertThat(write(writer, config(port, "two"))).isEqualTo(2);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/v").equals("200 two"));
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        JsonNode now = status(admin);
        return now.path("appliedRevision").asLong() == 2 && now.path("store").path("servingFromCache").isNull()
            && now.path("store").path("reachable").asBoolean();
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> new LastApplied(data, EtcdConnection.parse(url).url()).read().revision() == 2);
      assertThat(get(port, "/")).isEqualTo("200 " + BACKEND_BODY);
      // A node that started from its cache joins the fleet's membership once etcd answers. Listing the nodes
      // reads etcd through the membership's own client, which may still be reconnecting (gRPC's back-off) just
      // after etcd returned: such a call can outlast the client's 5 s, and only the eventual answer counts here.
      await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(java.net.http.HttpTimeoutException.class).until(() -> {
        JsonNode nodes = JSON.readTree(get(admin, "/api/v1/nodes").substring("200 ".length())).path("items");
        return nodes.size() == 1 && nodes.get(0).path("id").asText().equals("node-a")
            && nodes.get(0).path("appliedRevision").asLong() == 2;
      });
    }
  }

  @Test
  void aCacheWithAFlippedByteIsRefusedAndWithoutAStoreTheNodeDoesNotStart(@TempDir Path dir) throws Exception {
    String url = "etcd://127.0.0.1:" + GatewayFixture.closedPort() + "/sluice/lkg-corrupt";
    Path data = dir.resolve("node");
    LastApplied cache = new LastApplied(data, url);
    cache.write(3, config(GatewayFixture.closedPort(), "three"));
    byte[] bytes = Files.readAllBytes(cache.file());
    int at = new String(bytes, StandardCharsets.UTF_8).indexOf("three");
    bytes[at] ^= 0x01;
    Files.write(cache.file(), bytes);

    ServerProcess.Result r = ServerProcess.run("serve", "--store", url, "--data-dir", data.toString(), "--admin-address",
        "127.0.0.1:0", "--store-connect-timeout", "1s");
    assertThat(r.exitCode()).isEqualTo(1);
    String refusal = cache.file() + " fails its checksum (the content's CRC-32C is ";
    assertThat(r.stderrLines()).anyMatch(l -> l.startsWith("sluice serve: cannot open the store --store " + url + ": no answer within"
        + " 1s (--store-connect-timeout); and no local cache to start from (refused: " + refusal) && l.endsWith(
        "): it was damaged or edited)"));
    assertThat(r.stdout() + r.stderr()).contains("refusing the local cache: " + refusal);
  }

  /** Writes {@code version} until etcd acknowledges it (a leader election in progress refuses writes for a moment). */
  private long writeAcknowledged(ConfigStore writer, int port, String version, List<Long> acknowledged) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        long revision = write(writer, config(port, version));
        acknowledged.add(revision);
        return revision;
      } catch (StoreException e) {
        if (System.nanoTime() > deadline) throw e;
      }
    }
  }

  @Test
  void noRequestFailsWhileEtcdLosesItsLeaderStopsWholeAndReturnsAndTheNodeRestartsMeanwhile(@TempDir Path dir) throws Exception {
    EtcdProcess etcd = closing(EtcdProcess.start(dir.resolve("etcd"), 3));
    String url = etcd.url("/sluice/lkg-load");
    EtcdConnection connection = EtcdConnection.parse(url).withTimeout(Duration.ofSeconds(3));
    Path data = dir.resolve("node");
    int port = GatewayFixture.freePort();
    int admin = GatewayFixture.freePort();
    List<Long> acknowledged = new ArrayList<>();
    ConfigStore writer = closing(EtcdConfigStore.open(connection, PathPolicy.DEFAULT));
    writeAcknowledged(writer, port, "v1", acknowledged);

    ServerProcess node = serve(url, data, admin).awaitPort(port).awaitPort(admin);
    LoadLoop load = null;
    try {
      assertThat(get(port, "/v")).isEqualTo("200 v1");
      load = new LoadLoop(port, BACKEND_BODY);
      LoadLoop running = load;
      await().atMost(Duration.ofSeconds(10)).until(() -> running.ok() > 20);

      // 1. The etcd leader dies: the other two elect another; writes go on, the node follows them.
      int leader = etcd.leader();
      assertThat(leader).isNotNegative();
      etcd.kill(leader);
      writeAcknowledged(writer, port, "v2", acknowledged);
      await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/v").equals("200 v2"));
      etcd.restart(leader);
      writeAcknowledged(writer, port, "v3", acknowledged);
      await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/v").equals("200 v3"));
      await().atMost(Duration.ofSeconds(10)).until(() -> new LastApplied(data, connection.url()).read().revision() == acknowledged.getLast());

      // 2. The whole cluster stops: the node keeps serving and says the store is unreachable.
      for (int i = 0; i < 3; i++) etcd.stop(i);
      await().atMost(Duration.ofSeconds(30)).until(() -> !status(admin).path("store").path("reachable").asBoolean());
      long before = running.ok();
      await().atMost(Duration.ofSeconds(20)).until(() -> running.ok() > before + 50);

      // 3. The node restarts while etcd is down: out of rotation (no request sent to a closed port),
      // drained, started again from its cache, back in rotation.
      running.pause();
      node.close();
      node = serve(url, data, admin, "--store-connect-timeout", "1s").awaitPort(port).awaitPort(admin);
      running.resume();
      assertThat(status(admin).path("store").path("servingFromCache").path("revision").asLong()).isEqualTo(acknowledged.getLast());
      long afterRestart = running.ok();
      await().atMost(Duration.ofSeconds(20)).until(() -> running.ok() > afterRestart + 50);

      // 4. etcd comes back: a write gets through and the node converges to it.
      etcd.restartAll();
      long last = writeAcknowledged(writer, port, "v4", acknowledged);
      await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/v").equals("200 v4"));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        JsonNode s = status(admin);
        return s.path("appliedRevision").asLong() == last && s.path("store").path("reachable").asBoolean()
            && s.path("store").path("servingFromCache").isNull();
      });
      long afterReturn = running.ok();
      await().atMost(Duration.ofSeconds(20)).until(() -> running.ok() > afterReturn + 50);
    } finally {
      if (load != null) load.close();
      node.close();
    }
    System.out.println("load through the node: " + load.ok() + " requests answered, " + load.failures().size() + " failed");
    assertThat(load.failures()).as("failed requests").isEmpty();
    assertThat(load.ok()).isGreaterThan(200);

    // Every revision etcd acknowledged is in the history after the cluster returned.
    try (ConfigStore check = EtcdConfigStore.open(connection, PathPolicy.DEFAULT)) {
      assertThat(check.revision()).isEqualTo(acknowledged.getLast());
      List<Long> inHistory = check.history(new ObjectRef(Kind.ROUTE, "version")).stream().map(HistoryEntry::revision).toList();
      assertThat(inHistory).containsAll(acknowledged);
    }
  }
}
