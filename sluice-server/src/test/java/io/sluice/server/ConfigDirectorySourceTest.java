package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.RawConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --config-dir}: the directory is applied into the store by {@code config-dir} and owns exactly its objects. */
class ConfigDirectorySourceTest {
  private static final Duration WITHIN = Duration.ofSeconds(15);

  private static String direct(String name, String path, String body) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
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

  private static JsonNode lastRevision(ControlPlane cp) throws Exception {
    JsonNode items = cp.get("/api/v1/revisions").path("items");
    return items.get(items.size() - 1);
  }

  @Test
  void editsAndRemovalsOfFilesBecomeRevisionsByConfigDirAndLeaveObjectsCreatedThroughTheApiAlone(@TempDir Path dir)
      throws Exception {
    Path config = Files.createDirectory(dir.resolve("config"));
    ControlPlane.write(config, "listener.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:0}
        """);
    ControlPlane.write(config, "routes.yaml", direct("hello", "/", "one"));
    ControlPlane.write(config, "more/extra.yaml", direct("extra", "/extra", "extra"));

    // A short grace: a deleted file's objects go 2 s after it (10 s by default).
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString(), "--config-dir-grace", "2s")) {
      int port = BoundListeners.port(cp.get("/api/v1/status"), "main");
      JsonNode first = lastRevision(cp);
      assertThat(first.path("revision").asLong()).isEqualTo(1);
      assertThat(first.path("author").asText()).isEqualTo("config-dir");
      assertThat(first.path("message").asText()).isEqualTo("config-dir: changed listener.yaml, more/extra.yaml, routes.yaml");
      assertThat(body(port, "/extra")).isEqualTo("extra");
      ServerProcess.Result yaml = cp.sluice("get", "route", "hello", "-o", "yaml");
      assertThat(yaml.stdout()).contains("  annotations:\n    sluice.io/managed-by: config-dir\n");

      // An object created through the API, which the directory does not own.
      Path api = ControlPlane.write(dir, "api.yaml", direct("api-made", "/api", "from the api"));
      ServerProcess.Result applied = cp.sluice("apply", "-f", api.toString());
      assertThat(applied.exitCode()).as(applied.stderr()).isZero();

      ControlPlane.write(config, "routes.yaml", direct("hello", "/", "two"));
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> body(port, "/"), "two"::equals);
      JsonNode edit = lastRevision(cp);
      assertThat(edit.path("revision").asLong()).isEqualTo(3);
      assertThat(edit.path("author").asText()).isEqualTo("config-dir");
      assertThat(edit.path("message").asText()).isEqualTo("config-dir: changed routes.yaml");
      assertThat(edit.path("objects").toString()).isEqualTo("[\"Route/hello\"]");

      Files.delete(config.resolve("more/extra.yaml"));
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> body(port, "/extra"), "two"::equals);
      JsonNode removal = lastRevision(cp);
      assertThat(removal.path("revision").asLong()).isEqualTo(4);
      assertThat(removal.path("author").asText()).isEqualTo("config-dir");
      assertThat(removal.path("message").asText()).isEqualTo("config-dir: removed more/extra.yaml");
      assertThat(removal.path("objects").toString()).isEqualTo("[\"Route/extra\"]");
      assertThat(cp.send("GET", "/api/v1/routes/extra", null, null).statusCode()).isEqualTo(404);
      assertThat(cp.send("GET", "/api/v1/routes/api-made", null, null).statusCode()).isEqualTo(200);
      assertThat(body(port, "/api")).isEqualTo("from the api");

      // An invalid directory changes nothing and says exactly what is wrong.
      ControlPlane.write(config, "routes.yaml", direct("hello", "/", "three").replace("prefix: /", "regex: \"([\""));
      await().atMost(WITHIN).until(() -> cp.server().stderr().contains("refused"));
      String log = cp.server().stderr();
      assertThat(log).contains("config change in " + config + " refused, the previous config keeps serving; 1 error(s):");
      assertThat(Pattern.compile("ERROR ConfigDirectorySource -   routes\\.yaml:6:12: Route/hello: "
          + "spec\\.match\\.path\\.regex: invalid regular expression '\\(\\[': .+").matcher(log).find()).as(log).isTrue();
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(4);
      assertThat(body(port, "/")).isEqualTo("two");

      // A restart on the same store and an unchanged directory makes no revision.
      ControlPlane.write(config, "routes.yaml", direct("hello", "/", "two"));
      cp.restart();
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(4);
      int restarted = BoundListeners.port(cp.get("/api/v1/status"), "main");
      assertThat(body(restarted, "/")).isEqualTo("two");
      assertThat(body(restarted, "/api")).isEqualTo("from the api");
    }
  }

  @Test
  void aFileMayReferToAnUpstreamCreatedThroughTheApi(@TempDir Path dir) throws Exception {
    Path config = Files.createDirectory(dir.resolve("config"));
    ControlPlane.write(config, "listener.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:0}
        """);
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString())) {
      Path api = ControlPlane.write(dir, "up.yaml", """
          apiVersion: sluice.io/v1
          kind: Upstream
          metadata: {name: from-api}
          spec:
            endpoints: [{address: 127.0.0.1:9}]
          """);
      assertThat(cp.sluice("apply", "-f", api.toString()).exitCode()).isZero();

      ControlPlane.write(config, "route.yaml", """
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: to-api}
          spec:
            upstream: from-api
          """);

      await().atMost(WITHIN).until(() -> cp.send("GET", "/api/v1/routes/to-api", null, null).statusCode() == 200);
      assertThat(lastRevision(cp).path("author").asText()).isEqualTo("config-dir");
      assertThat(cp.server().stderr()).doesNotContain("ERROR");
    }
  }
}
