package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The project's rule "servers in tests bind port 0 and report the port they got", checked by the
 * build: no test source calls {@code freePort(} (a port free a moment ago, bound later: a race with
 * every other process on the machine) except the callers listed here. What they still choose is a
 * fleet listener's port that must stay the same when a node process restarts under load (the
 * config is written to etcd before any node starts, and clients keep their URL), or the port a
 * whole class's listener is applied on before its server reports anything. Shrink the list as they
 * go; when it is empty, delete {@code GatewayFixture.freePort} and this test.
 * A listener uses {@code address: 127.0.0.1:0} and {@code GatewayFixture.port()},
 * {@code ServerProcess.awaitListener} or {@code BoundListeners}; a dead endpoint uses
 * {@code GatewayFixture.closedPort()}.
 */
class FreePortCallersTest {
  /** Test sources (relative to the repository root) still allowed to call freePort(, and the deprecated helper itself. */
  private static final Set<String> ALLOWED = Set.of(
      "sluice-proxy/src/test/java/io/sluice/proxy/testing/GatewayFixture.java",
      "sluice-server/src/test/java/io/sluice/server/CliTest.java",
      "sluice-server/src/test/java/io/sluice/server/ConfigCanaryTest.java",
      "sluice-server/src/test/java/io/sluice/server/FleetRbacTest.java",
      "sluice-server/src/test/java/io/sluice/server/FleetTest.java",
      "sluice-server/src/test/java/io/sluice/server/FleetCanaryViewTest.java",
      "sluice-server/src/test/java/io/sluice/server/LastKnownGoodTest.java");

  @Test
  void noTestSourceOutsideTheListedOnesCallsFreePort() throws IOException {
    Path root = ServerProcess.repoRoot();
    List<String> callers;
    try (Stream<Path> modules = Files.list(root)) {
      callers = modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory)
          .flatMap(FreePortCallersTest::javaFiles)
          .filter(f -> read(f).contains("freePort("))
          .map(f -> root.relativize(f).toString().replace('\\', '/'))
          .sorted()
          .toList();
    }

    // This file names the method in its own text; it calls nothing.
    assertThat(callers.stream().filter(c -> !c.endsWith("/FreePortCallersTest.java")).toList())
        .as("test sources calling freePort(: bind port 0 and read the bound port instead (see this test's javadoc)")
        .isSubsetOf(ALLOWED);
  }

  private static Stream<Path> javaFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".java")).toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
