package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/sluice} launcher, run from a working directory outside the repository:
 * relative path arguments mean what they mean where the command was typed. {@code SLUICE_CLASSPATH}
 * points the launcher at this module's class path, so nothing is built during the test.
 */
class LauncherTest {
  private static final String BAD_ROUTE = """
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: typo}
      spec:
        match:
          path: {prefix: /typo}
        upstrem: nowhere
      """;

  @TempDir
  Path caller;

  @Test
  void validateDotChecksTheCallersDirectoryNotTheRepository() throws Exception {
    Files.writeString(caller.resolve("typo.yaml"), BAD_ROUTE);

    ServerProcess.Result r = launch("validate", ".");

    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderrLines()).hasSize(2);
    assertThat(r.stderrLines().getFirst()).startsWith("typo.yaml:7: Route/typo: spec.upstrem: ");
    assertThat(r.stderrLines().getLast()).isEqualTo(".: 1 error(s)");
  }

  @Test
  void applyReadsARelativeFileFromTheCallersDirectory() throws Exception {
    Files.writeString(caller.resolve("typo.yaml"), BAD_ROUTE);

    // The file is read (and refused) locally before anything is sent, so no server is needed.
    ServerProcess.Result r = launch("apply", "-f", "typo.yaml", "--server", "http://127.0.0.1:1");

    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(1);
    assertThat(r.stderrLines()).hasSize(2);
    assertThat(r.stderrLines().getFirst()).startsWith("typo.yaml:7: Route/typo: spec.upstrem: ");
    assertThat(r.stderrLines().getLast()).isEqualTo("error: 1 error(s) in typo.yaml; nothing was sent");
  }

  /** Runs {@code bin/sluice args...} in {@link #caller} and waits (at most 60 s) for it to exit. */
  private ServerProcess.Result launch(String... args) throws Exception {
    Path launcher = ServerProcess.repoRoot().resolve("bin").resolve("sluice");
    List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
    cmd.addAll(Arrays.asList(args));
    Path out = caller.resolveSibling(caller.getFileName() + ".out");
    Path err = caller.resolveSibling(caller.getFileName() + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(caller.toFile())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    pb.environment().put("SLUICE_CLASSPATH", ServerProcess.runtimeClassPath());
    pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
    pb.environment().remove("SLUICE_JAVA_OPTS");
    // Client commands keep a class data archive in the cache directory: not in the user's home.
    Path cache = caller.resolveSibling(caller.getFileName() + ".cache");
    pb.environment().put("SLUICE_CACHE_DIR", cache.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("bin/sluice did not exit within 60 s: " + cmd);
      return new ServerProcess.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      ServerProcess.deleteRecursively(cache);
    }
  }
}
