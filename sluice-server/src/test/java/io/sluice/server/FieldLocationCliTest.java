package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A validation error names the line and column of its field, wherever the file is checked:
 * {@code validate DIR}, {@code apply -f} (the server validates; the CLI names the local file) and
 * a config directory.
 */
class FieldLocationCliTest {
  /** The bad regex is on line 14, column 9 (its key), in the second document. */
  private static final String ROUTES = """
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: echo}
      spec: {endpoints: [{address: "127.0.0.1:9"}]}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: orders}
      spec:
        upstream: echo
        match:
          headers:
            - name: x-tenant
              regex: "(["
      """;
  private static final String ERROR =
      "Route/orders: spec.match.headers[0].regex: invalid regular expression '([': Unclosed character class";

  @Test
  void validateNamesTheFieldsLineAndColumn(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("routes.yaml"), ROUTES);

    ServerProcess.Result r = ServerProcess.run("validate", dir.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly("routes.yaml:14:9: " + ERROR, dir + ": 1 error(s)");
  }

  @Test
  void applyNamesTheLocalFilesLineAndColumnOfTheFieldTheServerRefused(@TempDir Path dir) throws Exception {
    Path file = ControlPlane.write(dir, "routes.yaml", ROUTES);
    try (ControlPlane cp = ControlPlane.start()) {
      ServerProcess.Result r = cp.sluice("apply", "-f", file.toString());

      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.stderrLines()).containsExactly(file + ":14:9: " + ERROR,
          "error: 422 invalid: the configuration was refused: " + file + ":14:9: " + ERROR);
    }
  }

  @Test
  void aConfigDirectoryLogsTheFieldsLineAndColumn(@TempDir Path dir) throws Exception {
    Path config = Files.createDirectory(dir.resolve("config"));
    ControlPlane.write(config, "routes.yaml", ROUTES.substring(0, ROUTES.indexOf("---")));
    try (ControlPlane cp = ControlPlane.start("--config-dir", config.toString(), "--config-dir-settle", "100ms")) {
      ControlPlane.write(config, "routes.yaml", ROUTES);

      await().atMost(Duration.ofSeconds(15)).until(() -> cp.server().stderr().contains("refused"));
      assertThat(cp.server().stderr()).contains("ConfigDirectorySource -   routes.yaml:14:9: " + ERROR);
    }
  }
}
