package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordinary edits of a {@code --config-dir} cost no request: a real server process, a real upstream,
 * a real directory, and a client sending a steady stream of requests to a route of another file
 * ({@code /other}) and to the routes of the file being edited ({@code /edited}, {@code /edited-two})
 * while an editor, a deploy tool or Kubernetes changes the directory.
 */
class ConfigDirectoryEditsTest {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  private static final List<String> PATHS = List.of("/other", "/edited", "/edited-two");

  @TempDir Path tmp;
  private TestUpstream backend;
  /** The server under test, to show its log when a check fails. */
  private @org.jspecify.annotations.Nullable ControlPlane server;
  /** The port the OS picked for Listener/main (configured on port 0) in the server running now. */
  private int port;

  @BeforeEach
  void startBackend() throws IOException {
    backend = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "ok " + req.target()));
  }

  @AfterEach
  void stopBackend() throws IOException {
    backend.close();
  }

  /** Starts the server and reads the port its listener got (the directory's listener is bound before the admin API answers). */
  private ControlPlane start(String... args) throws IOException, InterruptedException {
    server = ControlPlane.start(args);
    port = BoundListeners.port(server.get("/api/v1/status"), "main");
    return server;
  }

  private String serverLog() {
    return server == null ? "" : "\n--- server log:\n" + server.server().stderr();
  }

  private String base() {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:0}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
        ---
        """.formatted(backend.address()) + route("other");
  }

  private static String route(String name) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match:
            path: {exact: /%s}
          upstream: backend
        """.formatted(name, name);
  }

  /** The edited file: two routes, and a third one when {@code withNew}, to see that its new version was taken. */
  private static String edited(boolean withNew) {
    return route("edited") + "---\n" + route("edited-two") + (withNew ? "---\n" + route("edited-new") : "");
  }

  private Path writeConfig(Path conf) throws IOException {
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("base.yaml"), base());
    Files.writeString(conf.resolve("edited.yaml"), edited(false));
    return conf;
  }

  /** Requests to every path of {@link #PATHS} in turn, on a keep-alive connection, counting every answer that is not a 200. */
  private final class Traffic implements AutoCloseable {
    final ConcurrentMap<String, AtomicInteger> sent = new ConcurrentHashMap<>();
    final ConcurrentMap<String, AtomicInteger> failed = new ConcurrentHashMap<>();
    final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Traffic() {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
      thread = Thread.ofVirtual().start(() -> {
        while (!stop.get()) {
          for (String path : PATHS) {
            sent.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            try {
              HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() != 200 || !r.body().equals("ok " + path)) fail(path, r.statusCode() + " " + r.body());
            } catch (IOException e) {
              fail(path, e.toString());
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      });
    }

    private void fail(String path, String what) {
      failed.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      if (failures.size() < 5) failures.add(path + ": " + what);
    }

    /** Stops, then checks that every path got requests, not one failed, and the server leaked no buffer. */
    void assertNoFailure(ControlPlane cp) {
      close();
      assertThat(cp.server().stderr()).doesNotContain("LEAK");
      for (String path : PATHS) {
        assertThat(sent.getOrDefault(path, new AtomicInteger()).get()).as("requests to " + path).isGreaterThan(10);
      }
      assertThat(failed).as("failed requests per path; first: " + failures + serverLog()).isEmpty();
    }

    @Override
    public void close() {
      stop.set(true);
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private int status(String path) throws InterruptedException {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      throw new AssertionError("GET " + path + ": " + e + serverLog(), e);
    }
  }

  private void awaitServing(String path) {
    await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> status(path) == 200);
  }

  /** Lets the traffic run for a while before an edit, so that requests are counted on both sides of it. */
  private static void awaitRequests(Traffic t, int atLeast) {
    int start = t.sent.getOrDefault("/edited", new AtomicInteger()).get();
    await().atMost(WITHIN).until(() -> t.sent.getOrDefault("/edited", new AtomicInteger()).get() >= start + atLeast);
  }

  private static long storeRevision(ControlPlane cp) throws Exception {
    return cp.get("/api/v1/status").path("storeRevision").asLong();
  }

  @Test
  void anEditorsBackupRenameSaveLosesNoRequest() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      // vim's save: the file is renamed to a backup, the new one written 500 ms later, the backup removed.
      Files.move(conf.resolve("edited.yaml"), conf.resolve("edited.yaml~"));
      Thread.sleep(500);
      Files.writeString(conf.resolve("edited.yaml"), edited(true));
      Files.delete(conf.resolve("edited.yaml~"));

      awaitServing("/edited-new");
      awaitRequests(traffic, 20);
      traffic.assertNoFailure(cp);
      assertThat(cp.server().stderr()).doesNotContain("ERROR");
    }
  }

  @Test
  void aFileWrittenHalfwayWithAPauseLosesNoRequest() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    // A document with a header comment, as many have: half the bytes end inside the comment, so
    // the half parses, without the second route (a cut inside a document would not parse at all).
    String next = route("edited") + "---\n" + "# the second route, kept for the old clients\n".repeat(8) + route("edited-two")
        + "---\n" + route("edited-new");
    byte[] bytes = next.getBytes(StandardCharsets.UTF_8);
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      Path file = conf.resolve("edited.yaml");
      Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
      Thread.sleep(2_000); // the writer pauses (a slow copy, a full pipe)
      Files.write(file, bytes);

      awaitServing("/edited-new");
      awaitRequests(traffic, 20);
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aFileCutAtADocumentBoundaryForTwoSecondsLosesNoRequest() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      Path file = conf.resolve("edited.yaml");
      Files.writeString(file, route("edited")); // only the first document is there yet: it parses
      Thread.sleep(2_000);
      Files.writeString(file, edited(true));

      awaitServing("/edited-new");
      awaitRequests(traffic, 20);
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aFileThatStopsParsingKeepsItsRoutesWhileOtherFilesChange() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      Files.writeString(conf.resolve("edited.yaml"), edited(false) + "---\napiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: edi");
      await().atMost(WITHIN).until(() -> cp.server().stderr().contains("edited.yaml in " + conf
          + " does not parse; its last good objects keep serving until it does; 1 error(s):"));
      // Another file's change is taken meanwhile: one broken file does not hold the directory back.
      Files.writeString(conf.resolve("more.yaml"), route("more"));
      awaitServing("/more");
      awaitRequests(traffic, 20);
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aConfigDirThatIsASymlinkIsServed() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    Path link = Files.createSymbolicLink(tmp.resolve("current"), conf);
    try (ControlPlane cp = start("--config-dir", link.toString())) {
      awaitServing("/edited");
      assertThat(status("/other")).isEqualTo(200);
      // And it is watched: a change through the link's target is taken.
      Files.writeString(conf.resolve("edited.yaml"), edited(true));
      awaitServing("/edited-new");
      assertThat(cp.server().stderr()).contains("config-dir: changed edited.yaml");
    }
  }

  @Test
  void aRestartThroughASymlinkToTheSameDirectoryDeletesNothing() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    Path link = Files.createSymbolicLink(tmp.resolve("current"), conf);
    try (ControlPlane cp = start("--config-dir", conf.toString())) {
      awaitServing("/edited");
      long revision = storeRevision(cp);
      int objects = cp.get("/api/v1/objects").path("items").size();
      assertThat(objects).isEqualTo(5);

      cp.restartWith("--config-dir", link.toString());
      port = BoundListeners.port(cp.get("/api/v1/status"), "main");
      awaitServing("/edited");
      assertThat(storeRevision(cp)).isEqualTo(revision);
      assertThat(cp.get("/api/v1/objects").path("items").size()).isEqualTo(objects);
      assertThat(status("/other")).isEqualTo(200);
      assertThat(status("/edited-two")).isEqualTo(200);
    }
  }

  @Test
  void aDirectoryDeletedAndCreatedAgainIsFollowed() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      ServerProcess.deleteRecursively(conf);
      Thread.sleep(1_000); // the deploy tool takes its time: the directory is gone for a while
      writeConfig(conf);
      awaitRequests(traffic, 20);
      Files.writeString(conf.resolve("edited.yaml"), edited(true));
      awaitServing("/edited-new");
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aDirectorySwappedByRenameIsFollowed() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      // A deploy tool's swap: the new version beside the old, then renamed into place.
      Path next = writeConfig(tmp.resolve("conf.new"));
      Files.move(conf, tmp.resolve("conf.old"));
      Files.move(next, conf);
      awaitRequests(traffic, 20);
      // The new directory is the one watched now.
      Files.writeString(conf.resolve("edited.yaml"), edited(true));
      awaitServing("/edited-new");
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aConfigDirSymlinkPointedAtANewDirectoryIsFollowed() throws Exception {
    // A release-directory deploy: current -> releases/1, then current -> releases/2 (ln -sfn).
    Path v1 = writeConfig(tmp.resolve("releases/1"));
    Path current = Files.createSymbolicLink(tmp.resolve("current"), v1);
    try (ControlPlane cp = start("--config-dir", current.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      Path v2 = writeConfig(tmp.resolve("releases/2"));
      Files.writeString(v2.resolve("edited.yaml"), edited(true));
      Path tmpLink = Files.createSymbolicLink(tmp.resolve("current.tmp"), v2);
      Files.move(tmpLink, current, StandardCopyOption.ATOMIC_MOVE);

      awaitServing("/edited-new");
      // The new release is the one watched now.
      Files.writeString(v2.resolve("more.yaml"), route("more"));
      awaitServing("/more");
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aKubernetesConfigMapUpdateIsFollowed() throws Exception {
    // A ConfigMap volume: the files link through ..data to a timestamped directory; an update
    // writes a new one, points ..data at it by an atomic rename, and removes the old one.
    Path conf = Files.createDirectory(tmp.resolve("configmap"));
    Path v1 = writeConfig(conf.resolve("..2026_12_07_01"));
    Files.createSymbolicLink(conf.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(conf.resolve("base.yaml"), Path.of("..data/base.yaml"));
    Files.createSymbolicLink(conf.resolve("edited.yaml"), Path.of("..data/edited.yaml"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      Path v2 = writeConfig(conf.resolve("..2026_12_07_02"));
      Files.writeString(v2.resolve("edited.yaml"), edited(true));
      Files.createSymbolicLink(conf.resolve("..data_tmp"), v2.getFileName());
      Files.move(conf.resolve("..data_tmp"), conf.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
      ServerProcess.deleteRecursively(v1);

      awaitServing("/edited-new");
      awaitRequests(traffic, 20);
      traffic.assertNoFailure(cp);
    }
  }

  @Test
  void aChangeThatWouldDeleteEveryObjectIsRefusedAndTheRoutesKeepServing() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString());
        Traffic traffic = new Traffic()) {
      awaitRequests(traffic, 20);
      long revision = storeRevision(cp);
      Files.delete(conf.resolve("base.yaml"));
      Files.delete(conf.resolve("edited.yaml"));

      // After the grace period (10 s by default) the deletion is due, and refused.
      await().atMost(Duration.ofSeconds(30)).until(() -> cp.server().stderr().contains("would delete 5 of the 5 objects"));
      assertThat(cp.server().stderr()).contains("config change in " + conf + " refused, the previous config keeps serving; 1 error(s):",
          conf + ": --config-dir-max-delete: would delete 5 of the 5 objects the directory manages (all of them): "
              + "Listener/main, Route/edited, Route/edited-two, Route/other, Upstream/backend; "
              + "restore the files, or start with --config-dir-force to delete them");
      awaitRequests(traffic, 20);
      traffic.assertNoFailure(cp);
      assertThat(storeRevision(cp)).isEqualTo(revision);
      assertThat(cp.get("/api/v1/objects").path("items").size()).isEqualTo(5);
    }
  }

  @Test
  void withForceAChangeMayDeleteEveryObject() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString(), "--config-dir-grace", "1s", "--config-dir-force")) {
      awaitServing("/edited");
      Files.delete(conf.resolve("base.yaml"));
      Files.delete(conf.resolve("edited.yaml"));
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> cp.get("/api/v1/objects").path("items").isEmpty());
      assertThat(cp.server().stderr()).contains("config-dir: removed base.yaml, edited.yaml").doesNotContain("would delete");
    }
  }

  @Test
  void refusesAGraceThatIsNotADurationAndAShareAbove100() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    ServerProcess.Result grace = ServerProcess.run("serve", "--config-dir", conf.toString(), "--config-dir-grace", "10");
    assertThat(grace.exitCode()).isEqualTo(2);
    assertThat(grace.stderr()).contains("--config-dir-grace").contains("expected a duration such as 500ms, 10s or 1m, got '10'");
    ServerProcess.Result share = ServerProcess.run("serve", "--config-dir", conf.toString(), "--config-dir-max-delete", "150%");
    assertThat(share.exitCode()).isEqualTo(2);
    assertThat(share.stderr()).contains("--config-dir-max-delete").contains("expected a percentage from 0 to 100, got '150%'");
  }

  @Test
  void aFileRemovedWhileStoppedServesForTheGracePeriodAfterTheRestartThenGoes() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    Files.writeString(conf.resolve("more.yaml"), route("more"));
    try (ControlPlane cp = start("--config-dir", conf.toString(), "--config-dir-grace", "5s")) {
      awaitServing("/more");
      long revision = storeRevision(cp);
      Files.delete(conf.resolve("more.yaml"));
      cp.restart(); // the server stops before it sees the removal
      port = BoundListeners.port(cp.get("/api/v1/status"), "main");

      // A directory that is missing a file at start may be one being deployed: the grace applies.
      assertThat(status("/more")).isEqualTo(200);
      assertThat(storeRevision(cp)).isEqualTo(revision);
      // Then it goes, with no further change in the directory.
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> status("/more") == 404);
      assertThat(storeRevision(cp)).isEqualTo(revision + 1);
      assertThat(status("/other")).isEqualTo(200);
    }
  }

  @Test
  void oneFileAmongManyIsDeletedAfterTheGracePeriod() throws Exception {
    Path conf = writeConfig(tmp.resolve("conf"));
    try (ControlPlane cp = start("--config-dir", conf.toString(), "--config-dir-grace", "2s");
        Traffic traffic = new Traffic()) {
      Files.writeString(conf.resolve("more.yaml"), route("more"));
      awaitServing("/more");
      long removedAt = System.nanoTime();
      Files.delete(conf.resolve("more.yaml"));
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> status("/more") == 404);
      assertThat(Duration.ofNanos(System.nanoTime() - removedAt)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      assertThat(cp.server().stderr()).contains("config-dir: removed more.yaml");
      traffic.assertNoFailure(cp);
    }
  }
}
