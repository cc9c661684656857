package io.sluice.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive as a user gets it: unpacked into an empty directory, run with {@code bin/sluice}
 * and a Java runtime, without Maven or this source tree.
 */
class ReleaseArchiveIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @TempDir
  Path dir;

  private Path home;
  private HttpServer upstream;
  private Process server;

  @BeforeEach
  void unpack() throws Exception {
    home = Distribution.unpack(dir.resolve("opt"));
  }

  @AfterEach
  void stop() {
    if (server != null) server.destroyForcibly();
    if (upstream != null) upstream.stop(0);
  }

  @Test
  void holdsTheLauncherEveryRuntimeJarTheExamplesAndTheLicense() throws Exception {
    assertThat(home.getFileName().toString()).isEqualTo("sluice-" + Distribution.version());
    assertThat(Files.getPosixFilePermissions(home.resolve("bin/sluice"))).contains(PosixFilePermission.OWNER_EXECUTE);
    assertThat(home.resolve("bin/find-java")).isRegularFile();
    try (var jars = Files.list(home.resolve("lib"))) {
      assertThat(jars.map(p -> p.getFileName().toString()).toList())
          .contains("sluice-server-" + Distribution.version() + ".jar", "sluice-filters-" + Distribution.version() + ".jar")
          .anyMatch(name -> name.startsWith("netty-transport-native-epoll-"))
          .anyMatch(name -> name.startsWith("logback-classic-"))
          .allMatch(name -> name.endsWith(".jar"));
    }
    assertThat(home.resolve("conf/demo/routes.yaml")).isRegularFile();
    assertThat(home.resolve("packaging/sluice.service")).isRegularFile();
    assertThat(Files.readString(home.resolve("LICENSE"))).contains("Apache License", "Version 2.0, January 2004");
    assertThat(home.resolve("README.md")).isRegularFile();
    assertThat(home.resolve("CHANGELOG.md")).isRegularFile();
  }

  @Test
  void versionNamesTheBuildsVersionAndCommit() throws Exception {
    Distribution.Result r = Distribution.run(home, dir, "--version");

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stderr()).isEmpty();
    assertThat(r.stdout()).matches("sluice " + java.util.regex.Pattern.quote(Distribution.version())
        + "( \\(commit [0-9a-f]{12}\\))?\n");
  }

  @Test
  void servesAProxiedRequestFromTheUnpackedArchive() throws Exception {
    upstream = Distribution.startUpstream();
    Path conf = Distribution.writeSmokeConfig(dir.resolve("conf"), 0, upstream.getAddress().getPort());

    server = Distribution.start(home, dir, "serve", "--config-dir", conf.toString(),
        "--data-dir", dir.resolve("data").toString(), "--admin-address", "127.0.0.1:0");
    int port = Distribution.awaitListener(dir.resolve("stderr.txt"), server, "smoke", Duration.ofSeconds(60));

    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).build();
    HttpResponse<String> response = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> {
          assertThat(server.isAlive()).as("bin/sluice serve exited: %s", Distribution.output(dir)).isTrue();
          return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        }, r -> true);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("X-Upstream")).hasValue("test");
    assertThat(response.body()).isEqualTo("upstream saw /hello");

    // Stopped by its PID, as an init system would: SIGTERM drains and exits 0. The launcher execs
    // java, so the PID is the JVM's. A first stop also writes serve's AOT cache (ServeWarmupCacheIT):
    // a child JVM, tens of seconds on a busy machine.
    new ProcessBuilder("kill", "-TERM", Long.toString(server.pid())).inheritIO().start().waitFor();
    assertThat(server.waitFor(180, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
    assertThat(server.exitValue()).as(Distribution.output(dir)).isZero();
  }

  @Test
  void namesTheJavaItRunsOnStderrWhenVerbose() throws Exception {
    Distribution.Result r = Distribution.runWith(home, dir, List.of("SLUICE_VERBOSE=1"), "--version");

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stderr()).isEqualTo("sluice: Java " + Runtime.version().feature() + " at " + System.getProperty("java.home") + "\n");
    assertThat(r.stdout()).startsWith("sluice " + Distribution.version());
  }

  @Test
  void clientCommandsKeepAClassDataArchivePerCommandInTheCacheDir() throws Exception {
    Distribution.Result version = Distribution.run(home, dir, "--version");
    // Nothing listens on port 1: the command fails, and its JVM still writes the archive at exit.
    Distribution.Result get = Distribution.run(home, dir, "get", "routes", "--server", "http://127.0.0.1:1");

    assertThat(version.exitCode()).isZero();
    assertThat(get.exitCode()).isEqualTo(1);
    assertThat(get.stderr()).startsWith("error: cannot reach the admin API at http://127.0.0.1:1");
    try (var files = Files.list(dir.resolve("cache"))) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .hasSize(2)
          .satisfies(names -> assertThat(names.get(0)).matches("cli-get-\\d+\\.jsa"))
          .satisfies(names -> assertThat(names.get(1)).matches("cli-other-\\d+\\.jsa"));
    }
  }

  @Test
  void aChangedJarGetsAFreshArchiveInPlaceOfTheStaleOne() throws Exception {
    // The JVM refuses an archive whose jars changed and does not write it again: the launcher must
    // name the archive after the jars, and drop the stale one.
    Distribution.run(home, dir, "get", "routes", "--server", "http://127.0.0.1:1");
    List<String> before = archives();
    Path jar = home.resolve("lib/sluice-server-" + Distribution.version() + ".jar");
    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));

    Distribution.Result again = Distribution.run(home, dir, "get", "routes", "--server", "http://127.0.0.1:1");

    assertThat(again.stderr()).startsWith("error: cannot reach the admin API at http://127.0.0.1:1");
    assertThat(before).hasSize(1);
    assertThat(archives()).hasSize(1).doesNotContainAnyElementsOf(before).allMatch(name -> name.startsWith("cli-get-"));
  }

  @Test
  void theSecondCallMapsPicocliAndTheCommandFromTheArchive() throws Exception {
    Distribution.run(home, dir, "get", "routes", "--server", "http://127.0.0.1:1");
    Path log = dir.resolve("classes.log");

    Distribution.Result again = Distribution.runWith(home, dir,
        List.of("SLUICE_JAVA_OPTS=-Xlog:class+load=info:file=" + log), "get", "routes", "--server", "http://127.0.0.1:1");

    assertThat(again.stderr()).startsWith("error: cannot reach the admin API at http://127.0.0.1:1");
    // Neither parsed nor verified again: mapped from the archive the first call wrote.
    assertThat(Files.readAllLines(log))
        .anyMatch(line -> line.contains(" picocli.CommandLine source: shared objects file"))
        .anyMatch(line -> line.contains(" io.sluice.server.cli.GetCommand source: shared objects file"))
        .anyMatch(line -> line.contains(" io.sluice.server.cli.AdminClient source: shared objects file"));
  }

  @Test
  void anArchiveCutShortIsWrittenAgainWithoutAWarning() throws Exception {
    // A first call killed while the JVM wrote its archive leaves a file the JVM can neither read nor
    // replace: it warns on every call and runs without an archive, unless the launcher drops it.
    Distribution.run(home, dir, "get", "routes", "--server", "http://127.0.0.1:1");
    Path archive = dir.resolve("cache").resolve(archives().getFirst());
    Files.write(archive, new byte[] {(byte) 0xa8, (byte) 0xab, 0x0b, (byte) 0xf0, 1, 2, 3, 4});

    Distribution.Result again = Distribution.run(home, dir, "get", "routes", "--server", "http://127.0.0.1:1");

    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.stderr()).isEqualTo("error: cannot reach the admin API at http://127.0.0.1:1: connection refused\n");
    assertThat(archives()).containsExactly(archive.getFileName().toString());
    assertThat(Files.size(archive)).as("rewritten by the second call").isGreaterThan(1_000_000);
  }

  private List<String> archives() throws IOException {
    try (var files = Files.list(dir.resolve("cache"))) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
