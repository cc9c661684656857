package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Completion of object names ({@code sluice get route <TAB>}) against a real {@code sluice serve}:
 * the hidden {@code __complete} command, and bash itself running the generated script with the
 * real launcher ({@code bin/sluice}) behind it.
 */
class ObjectNameCompletionTest {
  private static ControlPlane cp;
  private static Path dir;
  private static Path script;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlane.start();
    dir = Files.createTempDirectory("sluice-completion");
    ServerProcess.Result applied = cp.sluice("apply", "-f", ControlPlane.write(dir, "objects.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec: {endpoints: [{address: 127.0.0.1:9}]}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders-v2}
        spec: {endpoints: [{address: 127.0.0.1:9}]}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: billing}
        spec: {endpoints: [{address: 127.0.0.1:9}]}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: shop}
        spec: {upstream: orders}
        """).toString());
    assertThat(applied.exitCode()).as(applied.stderr()).isZero();
    ServerProcess.Result generated = ServerProcess.run("completion", "bash");
    assertThat(generated.exitCode()).as(generated.stderr()).isZero();
    script = ControlPlane.write(dir, "sluice.bash", generated.stdout());
  }

  @AfterAll
  static void stop() {
    if (cp != null) cp.close();
    if (dir != null) ServerProcess.deleteRecursively(dir);
  }

  @Test
  void completeCommandPrintsTheNamesOfTheKindThatStartWithThePrefix() throws Exception {
    ServerProcess.Result r = cp.sluice("__complete", "upstreams", "ord");
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdoutLines()).containsExactly("orders", "orders-v2");
    assertThat(r.stderr()).isEmpty();

    assertThat(cp.sluice("__complete", "Route").stdoutLines()).containsExactly("shop");
  }

  @Test
  void completeCommandPrintsNothingWhenTheServerIsNotThere() throws Exception {
    int closed = GatewayFixture.closedPort();
    long start = System.nanoTime();
    ServerProcess.Result r = ServerProcess.run("__complete", "upstream", "", "--server", "http://127.0.0.1:" + closed);
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).isEmpty();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);

    ServerProcess.Result unknownKind = cp.sluice("__complete", "widgets", "");
    assertThat(unknownKind.exitCode()).isZero();
    assertThat(unknownKind.stdout()).isEmpty();
    assertThat(unknownKind.stderr()).isEmpty();
  }

  @Test
  void bashCompletesTheNamesAfterTheKindOfGetDescribeDeleteAndHistory() throws Exception {
    assertThat(bash("get upstreams ord", Map.of())).containsExactly("orders", "orders-v2");
    assertThat(bash("get upstreams orders ", Map.of())).containsExactly("billing", "orders", "orders-v2");
    assertThat(bash("describe upstream ", Map.of())).containsExactly("billing", "orders", "orders-v2");
    assertThat(bash("delete routes s", Map.of())).containsExactly("shop");
    assertThat(bash("history route ", Map.of())).containsExactly("shop");
    // Options and their values do not count as positions; an option's value is left to picocli's completion.
    assertThat(bash("get -o yaml upstreams -l team=x b", Map.of())).containsExactly("billing");
    assertThat(bash("get upstreams -o ", Map.of())).containsExactly("wide", "yaml", "json");
  }

  @Test
  void bashCompletesKindsNotNamesWhereTheKindGoes() throws Exception {
    assertThat(bash("get up", Map.of())).containsExactly("upstreams");
    assertThat(bash("rollback r", Map.of())).containsExactly("routes");
    assertThat(bash("rollback route ", Map.of())).containsExactly("shop");
    // describe and history take one name: nothing after it.
    assertThat(bash("describe upstream orders ", Map.of())).isEmpty();
  }

  @Test
  void bashAsksTheServerOfSluiceServerAndCompletesNothingWhenNoneAnswers() throws Exception {
    String url = cp.url();
    assertThat(bashLine("get upstreams bil", Map.of("SLUICE_SERVER", url))).containsExactly("billing");
    String closed = "http://127.0.0.1:" + GatewayFixture.closedPort();
    assertThat(bashLine("get upstreams ", Map.of("SLUICE_SERVER", closed))).isEmpty();
    assertThat(bashLine("--server " + closed + " get upstreams ", Map.of())).isEmpty();
  }

  /** What bash completes for {@code sluice LINE} (the cursor at its end), with {@code --server} appended to the launcher's words. */
  private static List<String> bash(String line, Map<String, String> env) throws Exception {
    return bashLine("--server " + cp.url() + " " + line, env);
  }

  /**
   * Runs bash with the generated script sourced, as bash runs a completion function: COMP_LINE,
   * COMP_POINT, COMP_WORDS and COMP_CWORD set, then the function registered for {@code sluice};
   * returns COMPREPLY.
   */
  private static List<String> bashLine(String line, Map<String, String> env) throws Exception {
    String launcher = ServerProcess.repoRoot().resolve("bin").resolve("sluice").toString();
    String full = launcher + " " + line;
    String program = """
        source "$1"
        COMP_LINE=$2
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        if [[ $COMP_LINE == *' ' ]]; then COMP_WORDS+=(''); fi
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        fn=$(complete -p sluice | sed -E 's/.*-F ([^ ]+).*/\\1/')
        "$fn" sluice "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
        printf '%s\\n' "${COMPREPLY[@]}"
        """;
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", program, "bash", script.toString(), full);
    pb.environment().put("SLUICE_CLASSPATH", ServerProcess.runtimeClassPath());
    pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
    pb.environment().put("SLUICE_CACHE_DIR", dir.resolve("cache").toString());
    pb.environment().remove("SLUICE_JAVA_OPTS");
    pb.environment().remove("SLUICE_SERVER");
    pb.environment().remove("SLUICE_TOKEN");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("bash did not finish: " + line);
    }
    assertThat(p.exitValue()).as(new String(err, StandardCharsets.UTF_8)).isZero();
    return new String(out, StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).toList();
  }
}
