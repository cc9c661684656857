package io.sluice.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice serve}'s AOT/CDS cache (bin/find-java, {@code server_warmup_opts}) in the unpacked
 * release archive. The launcher's choices are checked with a stand-in {@code java} that records its
 * arguments (a JDK home of any version is a directory with a {@code release} file); one test runs the
 * real JDK through a stop and a start to show the JVM writes the cache and maps the data plane from it.
 */
class ServeWarmupCacheIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  // One unpacked archive for the class; a work directory (and cache) per test.
  @TempDir
  static Path shared;

  private static Path home;
  private Path dir;
  private @org.jspecify.annotations.Nullable HttpServer upstream;

  @BeforeAll
  static void unpack() throws Exception {
    home = Distribution.unpack(shared.resolve("opt"));
  }

  @AfterEach
  void stopUpstream() {
    if (upstream != null) upstream.stop(0);
  }

  @BeforeEach
  void freshWorkDir() throws IOException {
    dir = Files.createTempDirectory(shared, "work");
  }

  @Test
  void jdk21ServeGetsAClassDataArchiveAndNoAotFlag() throws Exception {
    List<String> args = fakeServe(fakeJdk("21.0.5"));

    assertThat(args).anyMatch(a -> a.matches("-XX:SharedArchiveFile=" + cache() + "/serve-\\d+\\.jsa"))
        .contains("-XX:+AutoCreateSharedArchive")
        .noneMatch(a -> a.startsWith("-XX:AOT"));
  }

  @Test
  void jdk25ServeRecordsAnAotCacheWhenThereIsNoneAndMapsItOnceWritten() throws Exception {
    Path jdk = fakeJdk("25.0.1");

    List<String> first = fakeServe(jdk);
    Path cacheFile = Path.of(option(first, "-XX:AOTCacheOutput="));
    writeCacheLike(cacheFile);
    List<String> second = fakeServe(jdk);

    assertThat(cacheFile.getFileName().toString()).matches("serve-\\d+\\.aot");
    assertThat(cacheFile.getParent()).isEqualTo(cache());
    assertThat(first).noneMatch(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("-XX:SharedArchiveFile"));
    assertThat(second).contains("-XX:AOTCache=" + cacheFile).noneMatch(a -> a.startsWith("-XX:AOTCacheOutput="));
  }

  @Test
  void aServeCacheCutShortIsDroppedAndRecordedAgain() throws Exception {
    Path jdk = fakeJdk("25.0.1");
    Path cacheFile = Path.of(option(fakeServe(jdk), "-XX:AOTCacheOutput="));
    // A serve killed while the JVM wrote its cache: the header (written last) is still zeros.
    Files.write(cacheFile, new byte[200_000]);

    List<String> again = fakeServe(jdk);

    assertThat(again).contains("-XX:AOTCacheOutput=" + cacheFile).noneMatch(a -> a.startsWith("-XX:AOTCache="));
    assertThat(cacheFile).doesNotExist();
  }

  @Test
  void otherJvmOptionsGetAnotherCacheAndTheOldOneGoes() throws Exception {
    Path jdk = fakeJdk("25.0.1");
    Path cacheFile = Path.of(option(fakeServe(jdk), "-XX:AOTCacheOutput="));
    writeCacheLike(cacheFile);

    List<String> withSerialGc = fakeServe(jdk, "SLUICE_JAVA_OPTS=-XX:+UseSerialGC");

    Path other = Path.of(option(withSerialGc, "-XX:AOTCacheOutput="));
    assertThat(other).isNotEqualTo(cacheFile);
    assertThat(cacheFile).doesNotExist();
  }

  @Test
  void aotOffRunsServeWithoutACacheAndClientCommandsKeepTheirs() throws Exception {
    Path jdk = fakeJdk("25.0.1");

    List<String> serve = fakeServe(jdk, "SLUICE_AOT=off");
    Distribution.Result get = Distribution.runWith(home, dir, List.of("JAVA_HOME=" + jdk, "SLUICE_AOT=off"), "get", "routes");
    List<String> client = Files.readAllLines(dir.resolve("java-args.txt"));

    assertThat(get.exitCode()).as(get.stderr()).isZero();
    assertThat(serve).contains("serve").noneMatch(a -> a.startsWith("-XX:AOT") || a.startsWith("-XX:SharedArchiveFile"));
    assertThat(client).anyMatch(a -> a.matches("-XX:SharedArchiveFile=.*/cli-get-\\d+\\.jsa"));
  }

  @Test
  void serveRunsWithoutNettysLeakSamplingAndClientCommandsAreUnchanged() throws Exception {
    // The leak detector's stack walks on the event loop (docs/benchmarks.md, "Warm-up"); the tests
    // run Netty's paranoid level instead.
    Path jdk = fakeJdk("25.0.1");

    List<String> serve = fakeServe(jdk);
    Distribution.runWith(home, dir, List.of("JAVA_HOME=" + jdk), "get", "routes");
    List<String> client = Files.readAllLines(dir.resolve("java-args.txt"));

    assertThat(serve).contains("-Dio.netty.leakDetection.level=disabled");
    assertThat(client).contains("get").noneMatch(a -> a.startsWith("-Dio.netty.leakDetection"));
  }

  @Test
  void aCacheDirectoryOthersCanWriteIsNotUsed() throws Exception {
    // Class data in the cache runs as the gateway's code (docs/security.md, "The AOT/CDS cache").
    Path jdk = fakeJdk("25.0.1");
    Files.createDirectories(cache());
    Files.setPosixFilePermissions(cache(), PosixFilePermissions.fromString("rwxrwxrwx"));

    Distribution.Result r = Distribution.runWith(home, dir, List.of("JAVA_HOME=" + jdk), "serve", "--config-dir", "conf");
    List<String> args = Files.readAllLines(dir.resolve("java-args.txt"));

    assertThat(r.exitCode()).isZero();
    assertThat(r.stderr()).isEqualTo("sluice: " + cache() + " is not owned by this user or is writable by others;"
        + " serving without the AOT/CDS cache (chmod go-w it, or set SLUICE_CACHE_DIR)\n");
    assertThat(args).contains("serve").noneMatch(a -> a.startsWith("-XX:AOT") || a.startsWith("-XX:SharedArchiveFile"));
  }

  @Test
  void serveWritesItsAotCacheAtTheFirstStopAndTheNextStartMapsTheDataPlaneFromIt() throws Exception {
    // Only a JDK with JEP 514's -XX:AOTCacheOutput runs this; on 21-24 the launcher's CDS path is the
    // one checked above, and the JVM's AutoCreateSharedArchive by ReleaseArchiveIT's client archives.
    org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 25, "needs JDK 25+");
    upstream = Distribution.startUpstream();
    Path conf = Distribution.writeSmokeConfig(dir.resolve("conf"), 0, upstream.getAddress().getPort());
    Path log = dir.resolve("classes.log");
    // The same options both times (they are part of the cache's key); the log is the second run's.
    List<String> env = List.of("SLUICE_JAVA_OPTS=-Xlog:class+load=info:file=" + log);

    serveOneRequestAndStop(conf, env);
    List<Path> written;
    try (var files = Files.list(cache())) {
      written = files.toList();
    }
    assertThat(written).hasSize(1).allMatch(p -> p.getFileName().toString().matches("serve-\\d+\\.aot"));
    assertThat(Files.size(written.getFirst())).isGreaterThan(1_000_000);
    serveOneRequestAndStop(conf, env);

    assertThat(Files.readAllLines(log))
        .anyMatch(line -> line.contains(" io.sluice.proxy.internal.ProxyExchange source: shared objects file"))
        .anyMatch(line -> line.contains(" io.netty.channel.epoll.EpollIoHandler source: shared objects file"));
  }

  private void serveOneRequestAndStop(Path conf, List<String> env) throws Exception {
    Process server = Distribution.startWith(home, dir, env, "serve", "--config-dir", conf.toString(),
        "--data-dir", dir.resolve("data").toString(), "--admin-address", "127.0.0.1:0");
    try {
      int port = Distribution.awaitListener(dir.resolve("stderr.txt"), server, "smoke", Duration.ofSeconds(60));
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).build();
      HttpResponse<String> response = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(() -> CLIENT.send(request, HttpResponse.BodyHandlers.ofString()), r -> true);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("upstream saw /hello");
      new ProcessBuilder("kill", "-TERM", Long.toString(server.pid())).inheritIO().start().waitFor();
      // The first stop also writes the cache: a child JVM assembles it, seconds on a busy machine.
      assertThat(server.waitFor(180, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
      assertThat(server.exitValue()).as(Distribution.output(dir)).isZero();
    } finally {
      server.destroyForcibly();
    }
  }

  /** A JDK home whose {@code java} writes its arguments, one a line, to {@code java-args.txt} in the working directory. */
  private Path fakeJdk(String version) throws IOException {
    Path jdk = dir.resolve("jdk-" + version);
    Files.createDirectories(jdk.resolve("bin"));
    Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
    Path java = jdk.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\" > java-args.txt\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return jdk;
  }

  private List<String> fakeServe(Path jdk, String... env) throws Exception {
    List<String> all = new ArrayList<>(List.of("JAVA_HOME=" + jdk));
    all.addAll(List.of(env));
    Distribution.Result r = Distribution.runWith(home, dir, all, "serve", "--config-dir", "conf");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stderr()).isEmpty();
    return Files.readAllLines(dir.resolve("java-args.txt"));
  }

  private Path cache() {
    return dir.resolve("cache");
  }

  private static String option(List<String> args, String prefix) {
    return args.stream().filter(a -> a.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + " in " + args))
        .substring(prefix.length());
  }

  /** A file the launcher takes for a complete cache: the JVM's magic number first, and cache-sized. */
  private static void writeCacheLike(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(200_000).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putInt(0xf00baba2);
    Files.write(file, bytes.array());
  }
}
