package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.RawConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config directory and the admin API do not fight over objects: what the directory owns the API
 * changes only when forced, a forced change takes the object over until its file changes, and a diff
 * against the directory's own files shows nothing.
 */
class ConfigDirOwnershipTest {
  private static final Duration WITHIN = Duration.ofSeconds(15);

  private static String direct(String name, String path, String body) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata:
          name: %s
          labels: {team: web}
        spec:
          match:
            path: {prefix: %s}
          directResponse: {status: 200, body: "%s"}
        """.formatted(name, path, body);
  }

  private static String body(int port, String path) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      return c.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").readResponse().body();
    }
  }

  /** A config directory with Listener/main on port 0 ({@link #mainPort} reads the port it got) and Route/hello. */
  private static Path configDir(Path dir) throws IOException {
    Path config = Files.createDirectory(dir.resolve("config"));
    ControlPlane.write(config, "listener.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:0}
        """);
    ControlPlane.write(config, "routes.yaml", direct("hello", "/", "from the file"));
    return config;
  }

  private static int mainPort(ControlPlane cp) throws IOException, InterruptedException {
    return BoundListeners.port(cp.get("/api/v1/status"), "main");
  }

  @Test
  void diffOfTheDirectoryAgainstItsOwnObjectsShowsNoDifferenceAndNamesTheOwnedObjects(@TempDir Path dir) throws Exception {
    Path config = configDir(dir);
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString())) {
      int port = mainPort(cp);
      ServerProcess.Result diff = cp.sluice("diff", "-f", config.toString());
      assertThat(diff.exitCode()).as(diff.stdout() + diff.stderr()).isZero();
      assertThat(diff.stdout()).isEmpty();
      assertThat(diff.stderrLines()).containsExactly("owned by the config directory " + config
          + " (apply refuses them without --force): Route/hello, Listener/main");

      ServerProcess.Result dryRun = cp.sluice("apply", "--dry-run", "-f", config.toString());
      assertThat(dryRun.exitCode()).as(dryRun.stderr()).isZero();
      assertThat(dryRun.stdoutLines()).containsExactly(
          "Route/hello unchanged (dry run; owned by the config directory " + config + ")",
          "Listener/main unchanged (dry run; owned by the config directory " + config + ")",
          "dry run: nothing applied (checked against revision 1)");

      // A real difference still shows, without the annotation on either side.
      Path edited = ControlPlane.write(dir, "edited.yaml", direct("hello", "/", "edited"));
      ServerProcess.Result changed = cp.sluice("diff", "-f", edited.toString());
      assertThat(changed.exitCode()).isEqualTo(1);
      assertThat(changed.stdout()).doesNotContain("managed-by");
      assertThat(changed.stdoutLines()).anyMatch(l -> l.startsWith("+") && l.endsWith("body: edited"))
          .anyMatch(l -> l.startsWith("-") && l.endsWith("body: from the file"));
    }
  }

  @Test
  void refusesApplyDeleteAndRollbackOfObjectsTheConfigDirectoryOwnsNamingThemAndTheDirectory(@TempDir Path dir) throws Exception {
    Path config = configDir(dir);
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString())) {
      int port = mainPort(cp);
      String refusal = "owned by the config directory " + config + "; edit the file, or pass --force (force=true) to take it over";
      Path edited = ControlPlane.write(dir, "edited.yaml", direct("hello", "/", "edited"));
      ServerProcess.Result apply = cp.sluice("apply", "-f", edited.toString());
      assertThat(apply.exitCode()).isEqualTo(1);
      assertThat(apply.stderrLines()).containsExactly("error: 409 conflict (owned_by_config_dir): Route/hello is " + refusal);

      ServerProcess.Result delete = cp.sluice("delete", "route", "hello");
      assertThat(delete.exitCode()).isEqualTo(1);
      assertThat(delete.stderrLines()).containsExactly("error: 409 conflict (owned_by_config_dir): Route/hello is " + refusal);

      ServerProcess.Result rollback = cp.sluice("rollback", "--to", "0", "--yes");
      assertThat(rollback.exitCode()).isEqualTo(1);
      assertThat(rollback.stderrLines()).containsExactly(
          "error: 409 conflict (owned_by_config_dir): Route/hello, Listener/main are " + refusal);

      var put = cp.send("PUT", "/api/v1/routes/hello", ControlPlane.JSON.writeValueAsString(
          ControlPlane.JSON.readTree("{\"apiVersion\":\"sluice.io/v1\",\"kind\":\"Route\",\"metadata\":{\"name\":\"hello\"},"
              + "\"spec\":{\"directResponse\":{\"status\":200,\"body\":\"put\"}}}")), null);
      assertThat(put.statusCode()).isEqualTo(409);
      JsonNode error = ControlPlane.JSON.readTree(put.body());
      assertThat(error.path("reason").asText()).isEqualTo("owned_by_config_dir");
      assertThat(error.path("message").asText()).isEqualTo("Route/hello is " + refusal);

      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(1);
      assertThat(body(port, "/")).isEqualTo("from the file");
    }
  }

  @Test
  void aForcedApplyTakesTheObjectOverAndTheDirectorySkipsItUntilItsFileChanges(@TempDir Path dir) throws Exception {
    Path config = configDir(dir);
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString(), "--config-dir-settle", "100ms")) {
      int port = mainPort(cp);
      Path edited = ControlPlane.write(dir, "edited.yaml", direct("hello", "/", "from the api"));
      ServerProcess.Result apply = cp.sluice("apply", "--force", "-f", edited.toString());
      assertThat(apply.exitCode()).as(apply.stderr()).isZero();
      assertThat(apply.stdoutLines()).containsExactly("Route/hello updated (taken over from the config directory " + config + ")",
          "applied as revision 2");
      assertThat(cp.get("/api/v1/routes/hello").path("metadata").path("annotations").has("sluice.io/managed-by")).isFalse();
      await().atMost(WITHIN).until(() -> body(port, "/"), "from the api"::equals);

      // Another file changes: the directory syncs, and leaves the taken-over route alone.
      ControlPlane.write(config, "extra.yaml", direct("extra", "/extra", "extra"));
      await().atMost(WITHIN).until(() -> body(port, "/extra"), "extra"::equals);
      assertThat(body(port, "/")).isEqualTo("from the api");
      assertThat(cp.server().stderr()).contains("Route/hello (routes.yaml) was taken over through the admin API at revision 2;"
          + " the file's version is skipped until it changes");
      // ... and a restart does not give it back either: the store's history says it was taken over.
      cp.restart();
      int restarted = mainPort(cp);
      assertThat(body(restarted, "/")).isEqualTo("from the api");
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(3);

      // Its file changes: the directory takes it back.
      ControlPlane.write(config, "routes.yaml", direct("hello", "/", "the file again"));
      await().atMost(WITHIN).until(() -> body(restarted, "/"), "the file again"::equals);
      assertThat(cp.get("/api/v1/routes/hello").path("metadata").path("annotations").path("sluice.io/managed-by").asText())
          .isEqualTo("config-dir");
    }
  }

  @Test
  void aForcedDeleteIsNotUndoneByTheDirectoryUntilTheFileChanges(@TempDir Path dir) throws Exception {
    Path config = configDir(dir);
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString(), "--config-dir-settle", "100ms")) {
      int port = mainPort(cp);
      ServerProcess.Result delete = cp.sluice("delete", "route", "hello", "--force");
      assertThat(delete.exitCode()).as(delete.stderr()).isZero();
      assertThat(delete.stdoutLines()).containsExactly("Route/hello deleted (revision 2)");

      ControlPlane.write(config, "extra.yaml", direct("extra", "/extra", "extra"));
      await().atMost(WITHIN).until(() -> body(port, "/extra"), "extra"::equals);
      assertThat(cp.send("GET", "/api/v1/routes/hello", null, null).statusCode()).isEqualTo(404);

      ControlPlane.write(config, "routes.yaml", direct("hello", "/", "back"));
      await().atMost(WITHIN).until(() -> body(port, "/"), "back"::equals);
    }
  }
}
