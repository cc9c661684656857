package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice serve --config-dir DIR} as a process: reloads on change, refuses bad changes, drains on SIGTERM. */
class ServeCommandTest {
  private static final Duration RELOAD_WITHIN = Duration.ofSeconds(10);

  /** The store's data directory, apart from the config directory. */
  @TempDir
  Path data;

  /** The admin API on a port the OS picks ({@link ServerProcess#adminPort()} reads it). */
  private static String admin() {
    return "127.0.0.1:0";
  }

  private static String listener(int port) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          timeouts: {drain: 10s}
        """.formatted(port);
  }

  private static String helloRoute(String body) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          match:
            path: {prefix: /}
          directResponse:
            status: 200
            body: "%s"
        """.formatted(body);
  }

  private static RawConnection.Response get(RawConnection c, String path) throws IOException {
    return c.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
  }

  @Test
  void editingAFileChangesTheRoutingWithoutDroppingAKeepAliveConnection(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("listener.yaml"), listener(0));
    Files.writeString(dir.resolve("routes.yaml"), helloRoute("version one"));

    // A short grace: a deleted file's objects go 2 s after it (10 s by default).
    try (ServerProcess sluice = ServerProcess.start("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--config-dir", dir.toString(), "--event-loops", "2",
            "--config-dir-grace", "2s");
        RawConnection conn = RawConnection.open(sluice.awaitListener("main"))) {
      RawConnection.Response first = get(conn, "/");
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("version one");

      Files.writeString(dir.resolve("routes.yaml"), helloRoute("version two"));

      // Every request goes over the same connection: a reload that dropped it would fail here.
      await().atMost(RELOAD_WITHIN).pollInterval(Duration.ofMillis(50))
          .until(() -> get(conn, "/").body(), "version two"::equals);
      RawConnection.Response after = get(conn, "/");
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.body()).isEqualTo("version two");
      assertThat(after.header("Connection")).isNull();
      assertThat(sluice.stderr()).contains("applied revision 2: 1 listeners, 1 routes, 0 upstreams");

      // A new subdirectory is watched too, and a deleted file takes its objects with it.
      Path sub = Files.createDirectory(dir.resolve("more"));
      Files.writeString(sub.resolve("extra.yaml"), """
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: extra}
          spec:
            match:
              path: {exact: /extra}
            directResponse: {status: 201, body: extra}
          """);
      await().atMost(RELOAD_WITHIN).pollInterval(Duration.ofMillis(50))
          .until(() -> get(conn, "/extra").status() == 201);
      Files.delete(sub.resolve("extra.yaml"));
      await().atMost(RELOAD_WITHIN).pollInterval(Duration.ofMillis(50))
          .until(() -> get(conn, "/extra").body(), "version two"::equals);
      assertThat(sluice.stderr()).doesNotContain("ERROR", "WARN", "LEAK");
    }
  }

  @Test
  void anInvalidChangeIsLoggedPreciselyAndTheOldConfigKeepsServingUntilItIsFixed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("listener.yaml"), listener(0));
    Files.writeString(dir.resolve("routes.yaml"), helloRoute("good"));

    try (ServerProcess sluice = ServerProcess.start("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--config-dir", dir.toString(), "--event-loops", "2");
        RawConnection conn = RawConnection.open(sluice.awaitListener("main"))) {
      int port = sluice.awaitListener("main");
      assertThat(get(conn, "/").body()).isEqualTo("good");

      Files.writeString(dir.resolve("routes.yaml"), """
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: hello}
          spec:
            match:
              path: {regex: "(["}
            directResponse: {status: 200, body: broken}
          """);

      await().atMost(RELOAD_WITHIN).until(() -> sluice.stderr().contains("refused"));
      String log = sluice.stderr();
      assertThat(log).contains("config change in " + dir + " refused, the previous config keeps serving; 1 error(s):");
      // The line is the object's (1) or the field's (6): either points the operator at it.
      assertThat(Pattern.compile("ERROR ConfigDirectorySource -   routes\\.yaml:6:12: Route/hello: "
          + "spec\\.match\\.path\\.regex: invalid regular expression '\\(\\[': .+").matcher(log).find())
          .as(log).isTrue();
      // The old config still answers, on the connection that was open all along and on a new one.
      assertThat(get(conn, "/").body()).isEqualTo("good");
      try (RawConnection fresh = RawConnection.open(port)) {
        assertThat(get(fresh, "/anything").body()).isEqualTo("good");
      }

      Files.writeString(dir.resolve("routes.yaml"), helloRoute("fixed"));

      await().atMost(RELOAD_WITHIN).pollInterval(Duration.ofMillis(50))
          .until(() -> get(conn, "/").body(), "fixed"::equals);
      assertThat(sluice.isAlive()).isTrue();
    }
  }

  @Test
  void sigtermLetsTheSlowRequestInFlightCompleteStopsAcceptingAndExitsZero(@TempDir Path dir) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream slow = TestUpstream.start("slow", (req, ex) -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.respond(200, Map.of("Content-Type", "text/plain"), "finally done");
    })) {
      Files.writeString(dir.resolve("config.yaml"), listener(0) + """
          ---
          apiVersion: sluice.io/v1
          kind: Upstream
          metadata: {name: slow}
          spec:
            endpoints: [{address: %s}]
          ---
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: all}
          spec:
            upstream: slow
          """.formatted(slow.address()));

      try (ServerProcess sluice = ServerProcess.start("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--config-dir", dir.toString(), "--event-loops", "2");
          RawConnection conn = RawConnection.open(sluice.awaitListener("main"))) {
        int port = sluice.awaitListener("main");
        conn.send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n");
        assertThat(slow.take().target()).isEqualTo("/slow");

        sluice.terminate();

        // Draining: no new connections, the process waits for the request in flight.
        await().atMost(Duration.ofSeconds(5)).until(() -> refusesConnections(port));
        assertThat(sluice.isAlive()).isTrue();
        release.countDown();
        RawConnection.Response r = conn.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("finally done");
        assertThat(r.header("Connection")).isEqualTo("close");
        assertThat(sluice.waitForExit(Duration.ofSeconds(10))).as(sluice.describeOutput()).isZero();
        assertThat(sluice.stderr()).contains("shutting down: draining in-flight requests", "stopped");
        assertThat(sluice.stderr()).doesNotContain("ERROR", "WARN", "LEAK");
      }
    }
  }

  @Test
  void aListenerOnPortZeroIsLoggedServedAndShownByStatusOnThePortTheOsPicked(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("listener.yaml"), listener(0));
    Files.writeString(dir.resolve("routes.yaml"), helloRoute("picked"));

    try (ServerProcess sluice = ServerProcess.start("serve", "--data-dir", data.toString(), "--admin-address", admin(),
        "--config-dir", dir.toString(), "--event-loops", "1")) {
      int port = sluice.awaitListener("main");
      int adminPort = sluice.adminPort();

      assertThat(port).isPositive();
      assertThat(sluice.stderr()).contains("listener main on http://127.0.0.1:" + port + "\n")
          .doesNotContain("127.0.0.1:0");
      try (RawConnection conn = RawConnection.open(port)) {
        assertThat(get(conn, "/").body()).isEqualTo("picked");
      }
      ServerProcess.Result status = ServerProcess.run("status", "--server", "http://127.0.0.1:" + adminPort);
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      assertThat(status.stdoutLines()).contains("listeners:        main 127.0.0.1:" + port);
    }
  }

  private static boolean refusesConnections(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void anInvalidConfigDirectoryIsRefusedAtStartWithEveryErrorAndExitCodeOne(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("routes.yaml"), """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: dangling}
        spec:
          upstream: missing
        """);

    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--config-dir", dir.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).hasSize(2);
    assertThat(r.stderrLines().get(0)).matches("routes\\.yaml:5:3: Route/dangling: spec\\.upstream: Upstream 'missing' does not exist");
    assertThat(r.stderrLines().get(1)).isEqualTo("sluice serve: " + dir + " has 1 error(s); not starting");
  }

  @Test
  void aLogDirectoryThatHoldsTheDataDirectoryIsRefusedAtStartWithExitCodeOne() throws Exception {
    Path logs = data.toAbsolutePath().normalize().getParent();

    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--log-dir",
        logs.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --log-dir " + logs + ": holds the data directory "
        + data.toAbsolutePath().normalize() + "; expected a directory of its own such as " + data.toAbsolutePath().normalize().resolve("logs"));
  }

  @Test
  void theDefaultLogDirectoryIsCreatedUnderTheDataDirectoryForItsUserOnly() throws Exception {
    try (ServerProcess p = ServerProcess.start("serve", "--data-dir", data.toString(), "--admin-address", "127.0.0.1:0")) {
      p.adminPort();

      assertThat(Files.getPosixFilePermissions(data.resolve("logs"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void aListenerPortThatIsTakenIsRefusedAtStartWithExitCodeOne(@TempDir Path dir) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Files.writeString(dir.resolve("listener.yaml"), listener(taken.getLocalPort()));

      ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--config-dir", dir.toString());

      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.stderrLines()).anySatisfy(l -> assertThat(l)
          .startsWith("sluice serve: Listener/main: cannot bind /127.0.0.1:" + taken.getLocalPort()));
    }
  }

  @Test
  void zeroEventLoopsIsAUsageError(@TempDir Path dir) throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", data.toString(), "--admin-address", admin(), "--config-dir", dir.toString(), "--event-loops", "0");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --event-loops must be at least 1, got 0");
  }
}
