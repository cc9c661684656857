package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.RawConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data plane comes first (docs/architecture.md, "Threads and priorities"): with the JVM options
 * {@code bin/sluice serve} uses, the control plane's threads and the JIT's run at nice 10, and the
 * acceptor, event loops and access-log writer at the nice the process started with. Read from Linux's /proc, so this checks what the
 * scheduler is told, not what Java reports.
 */
class ThreadPriorityTest {
  private static final Path PROC = Path.of("/proc");
  /** The threads checked, by name or name prefix. */
  private static final List<String> KNOWN = List.of("sluice-accept", "sluice-loop-0", "sluice-loop-1",
      "sluice-access-log", "sluice-store-sync", "sluice-stats", "sluice-config-watch", "sluice-store-watch",
      "sluice-admin", "C1 CompilerThread");

  @TempDir
  Path dir;

  @Test
  void theControlPlaneAndTheJitRunAtNiceTenAndTheDataPlaneAtTheProcessesNice() throws Exception {
    assumeThat(Files.isDirectory(PROC.resolve("self/task"))).as("Linux /proc").isTrue();
    int base = niceOf(PROC.resolve("self/stat"));
    assumeThat(base).as("this JVM's nice (a process cannot lower its threads' nice without privileges)").isLessThan(10);
    Files.writeString(dir.resolve("route.yaml"), """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec: {directResponse: {status: 200}}
        """);
    List<String> options = new ArrayList<>(launcherPriorityOptions());
    options.addAll(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"));
    try (ServerProcess sluice = ServerProcess.start(options, "serve", "--data-dir", dir.resolve("data").toString(),
        "--admin-address", "127.0.0.1:0", "--config-dir", dir.toString(), "--event-loops", "2")) {
      int admin = sluice.adminPort();
      // A listener added at run time is bound by the control plane's threads, and Netty starts a
      // loop's thread lazily, from whichever thread first gives it work: the loops must not
      // inherit the control plane's priority.
      Files.writeString(dir.resolve("listener.yaml"), """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec: {address: 127.0.0.1:0}
          """);
      // Added at run time, so no "listener main on" log line: the node's status says where it is bound.
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.net.http.HttpRequest status = java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + admin + "/api/v1/status")).build();
      int port = BoundListeners.awaitPort(() -> ControlPlane.JSON.readTree(
          http.send(status, java.net.http.HttpResponse.BodyHandlers.ofString()).body()), "main");
      for (int i = 0; i < 2; i++) { // connections go to the loops in turn
        try (RawConnection c = RawConnection.open(port)) {
          assertThat(c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n").readResponse().status()).isEqualTo(200);
        }
      }
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(threadNice(sluice.pid())).as("threads of the server process").containsOnlyKeys(KNOWN));
      Map<String, Integer> nice = threadNice(sluice.pid());
      // At the nice the process started with (inherited from this JVM), or below it when run as
      // root: HotSpot then sets normal-priority threads to nice 0.
      assertThat(nice.get("sluice-accept")).as("the acceptor").isLessThanOrEqualTo(base);
      assertThat(nice.get("sluice-loop-0")).isLessThanOrEqualTo(base);
      assertThat(nice.get("sluice-loop-1")).isLessThanOrEqualTo(base);
      assertThat(nice.get("sluice-access-log")).isLessThanOrEqualTo(base);
      assertThat(nice.get("sluice-store-sync")).isEqualTo(10);
      assertThat(nice.get("sluice-stats")).isEqualTo(10);
      assertThat(nice.get("sluice-config-watch")).isEqualTo(10);
      assertThat(nice.get("sluice-store-watch")).isEqualTo(10);
      assertThat(nice.get("sluice-admin")).as("the admin API's event loop").isEqualTo(10);
      assertThat(nice.get("C1 CompilerThread")).isEqualTo(10);
    }
  }

  /** What bin/find-java's server_priority_opts prints: the options the launcher and benchmarks use. */
  private static List<String> launcherPriorityOptions() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", "source bin/find-java && server_priority_opts")
        .directory(ServerProcess.repoRoot().toFile())
        .redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as("server_priority_opts: %s", out).isZero();
    return Arrays.asList(out.split("\\s+"));
  }

  /**
   * Nice value by thread name, with the name cut to a stable prefix: Linux keeps 15 characters, so
   * "sluice-config-watch" reads "sluice-config-w", and thread numbers past the prefix vary.
   */
  private static Map<String, Integer> threadNice(long pid) throws IOException {
    Map<String, Integer> out = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(PROC.resolve(pid + "/task"))) {
      for (Path task : tasks.toList()) {
        String comm = Files.readString(task.resolve("comm")).strip();
        for (String name : KNOWN) {
          if (name.startsWith(comm) || comm.startsWith(name)) {
            out.merge(name, niceOf(task.resolve("stat")), (a, b) -> {
              assertThat(b).as("nice of every thread named %s", name).isEqualTo(a);
              return a;
            });
          }
        }
      }
    }
    return out;
  }

  /** Field 19 of /proc/.../stat, counted after the parenthesised command name (which may hold spaces). */
  private static int niceOf(Path stat) throws IOException {
    String s = Files.readString(stat);
    String[] fields = s.substring(s.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(fields[16]);
  }
}
