package io.sluice.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image tarball every build makes (sluice-dist's profile "image": Jib on the base that
 * {@code src/image/build-base} makes from Debian's libc6 and a jlink'd runtime): its manifest and
 * config, and the image run by podman as CI runs it (root, podman with runc, vfs storage in a
 * directory of the test's own). Skipped when the build was told to leave the image out
 * ({@code -Dsluice.image.skip}), and its run when the test is not root; a root without podman fails,
 * since bin/test installs it.
 */
class ContainerImageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NON_ROOT = "65532";
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @TempDir
  Path dir;

  private Path image;
  private final String container = "sluice-smoke-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
  private boolean podmanUsed;
  private HttpServer upstream;
  private Process run;

  @BeforeEach
  void findTheImage() {
    assumeFalse(Boolean.getBoolean("sluice.image.skip"), "the build left the image out (-Dsluice.image.skip)");
    image = Path.of(System.getProperty("sluice.image.tar", "target/none.tar"));
    assertThat(image).as("the build's image tarball (sluice-dist's profile \"image\", src/image/build-base)").isRegularFile();
  }

  @AfterEach
  void stop() throws Exception {
    if (run != null) run.destroyForcibly();
    // The container's mounts live in the test's directory: remove it before the directory goes, and
    // the image's files with it.
    if (podmanUsed) {
      podman(Duration.ofSeconds(60), "rm", "--force", "--time", "0", container);
      podman(Duration.ofSeconds(60), "rmi", "--all", "--force");
    }
    if (upstream != null) upstream.stop(0);
  }

  @Test
  void imageRunsServeAsANonRootUserWithItsPortsVolumesAndLabels() throws Exception {
    Path oci = Files.createDirectories(dir.resolve("oci"));
    tar("-xf", image.toString(), "-C", oci.toString());

    JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
    assertThat(index.path("manifests")).hasSize(1);
    assertThat(index.path("manifests").get(0).path("annotations").path("org.opencontainers.image.ref.name").asText())
        .isEqualTo("sluice:" + Distribution.version());
    JsonNode manifest = JSON.readTree(blob(oci, index.path("manifests").get(0).path("digest").asText()).toFile());
    assertThat(manifest.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
    JsonNode config = JSON.readTree(blob(oci, manifest.path("config").path("digest").asText()).toFile()).path("config");

    assertThat(strings(config.path("Entrypoint"))).containsExactly("java", "-XX:+UseParallelGC", "-XX:MaxRAMPercentage=50", "-Xms32m",
        "-Dio.netty.allocator.maxOrder=7", "-Dio.netty.jfr.enabled=false",
        "--enable-native-access=ALL-UNNAMED", "-XX:ThreadPriorityPolicy=1", "-XX:JavaPriority1_To_OSPriority=10",
        "-XX:CompilerThreadPriority=10", "-cp", "@/app/jib-classpath-file", "io.sluice.server.Main");
    assertThat(strings(config.path("Cmd"))).containsExactly("serve", "--config-dir", "/etc/sluice", "--data-dir", "/var/lib/sluice");
    assertThat(strings(config.path("Env"))).containsExactly("PATH=/opt/java/bin:/usr/local/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java");
    assertThat(config.path("User").asText()).isEqualTo(NON_ROOT + ":" + NON_ROOT);
    assertThat(config.path("WorkingDir").asText()).isEqualTo("/var/lib/sluice");
    assertThat(names(config.path("ExposedPorts"))).containsExactlyInAnyOrder("8080/tcp", "8443/tcp", "9900/tcp");
    assertThat(names(config.path("Volumes"))).containsExactlyInAnyOrder("/etc/sluice", "/var/lib/sluice");
    assertThat(config.path("Labels").path("org.opencontainers.image.title").asText()).isEqualTo("Sluice");
    assertThat(config.path("Labels").path("org.opencontainers.image.version").asText()).isEqualTo(Distribution.version());
    assertThat(config.path("Labels").path("org.opencontainers.image.licenses").asText()).isEqualTo("Apache-2.0");

    // The base is the first layer: Debian's libc, the jlink'd runtime, the user and the volumes' directories.
    List<String> base = tar("--numeric-owner", "-tvzf", blob(oci, manifest.path("layers").get(0).path("digest").asText()).toString());
    assertThat(base).anyMatch(line -> line.startsWith("-rwxr-xr-x 0/0 ") && line.endsWith(" ./opt/java/bin/java"))
        .anyMatch(line -> line.endsWith(" ./lib/x86_64-linux-gnu/libc.so.6") || line.endsWith(" ./lib/aarch64-linux-gnu/libc.so.6"))
        .anyMatch(line -> line.startsWith("drwxr-xr-x 65532/65532 ") && line.endsWith(" ./var/lib/sluice/"))
        .anyMatch(line -> line.startsWith("drwxr-xr-x 0/0 ") && line.endsWith(" ./etc/sluice/"))
        // No shell, no package manager, nothing of the build machine's, no set-uid or set-gid files.
        .noneMatch(line -> line.endsWith(" ./bin/sh") || line.endsWith(" ./usr/bin/apt") || line.contains("./etc/resolv.conf")
            || line.contains("./etc/hostname"))
        .noneMatch(line -> Character.toLowerCase(line.charAt(3)) == 's' || Character.toLowerCase(line.charAt(6)) == 's');
    assertThat(tar("-xzOf", blob(oci, manifest.path("layers").get(0).path("digest").asText()).toString(), "./etc/passwd"))
        .containsExactly("root:x:0:0:root:/root:/sbin/nologin", "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin");

    List<String> files = new ArrayList<>();
    for (JsonNode layer : manifest.path("layers")) files.addAll(tar("-tzf", blob(oci, layer.path("digest").asText()).toString()));
    assertThat(files).contains("app/libs/sluice-server-" + Distribution.version() + ".jar", "app/jib-classpath-file")
        .anyMatch(f -> f.startsWith("app/libs/netty-transport-native-epoll-"));
  }

  @Test
  void imageServesAProxiedRequestAsTheNonRootUserFromTheConfigVolumeAndWritesTheDataVolume() throws Exception {
    // /proc/self belongs to the process's user.
    assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
        "not root: the image is run by a rootful podman only (CI runs bin/test as root, which installs podman)");
    assertThat(Distribution.onPath("podman")).as("podman on the PATH (bin/test installs it: apt-get install podman runc)").isTrue();

    upstream = Distribution.startUpstream();
    Path conf = Distribution.writeSmokeConfig(dir.resolve("conf"), 0, upstream.getAddress().getPort());
    // A data volume as an operator prepares one: owned by the image's user, nothing in it.
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.setAttribute(data, "unix:uid", Integer.parseInt(NON_ROOT));
    Files.setAttribute(data, "unix:gid", Integer.parseInt(NON_ROOT));

    podmanUsed = true;
    PodmanResult load = podman(Duration.ofSeconds(300), "load", "--input", image.toString());
    assertThat(load.exitCode()).as(load.output()).isZero();
    assertThat(load.output()).contains("Loaded image: localhost/sluice:" + Distribution.version());

    // The host's network, so the listener on the container's 127.0.0.1 is the test's and reaches its
    // upstream. Limits no higher than this machine's hard ones: the runtime may not raise them.
    // The image's command with the admin API moved off the default port, which other tests may hold,
    // to one the OS picks.
    List<String> cmd = podmanCommand("run", "--rm", "--name", container, "--network", "host",
        "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096",
        "--volume", conf + ":/etc/sluice:ro", "--volume", data + ":/var/lib/sluice",
        "localhost/sluice:" + Distribution.version(),
        "serve", "--config-dir", "/etc/sluice", "--data-dir", "/var/lib/sluice", "--admin-address", "127.0.0.1:0");
    Path log = dir.resolve("container.log");
    run = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    run.getOutputStream().close();

    int port = Distribution.awaitListener(log, run, "smoke", Duration.ofSeconds(120));
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).build();
    HttpResponse<String> response = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> {
          assertThat(run.isAlive()).as("podman run exited: %s", Files.readString(log)).isTrue();
          return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        }, r -> true);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("X-Upstream")).hasValue("test");
    assertThat(response.body()).isEqualTo("upstream saw /hello");

    // podman stop sends SIGTERM, as an orchestrator does: the server drains and exits 0.
    PodmanResult stop = podman(Duration.ofSeconds(60), "stop", "--time", "30", container);
    assertThat(stop.exitCode()).as(stop.output()).isZero();
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("podman run ended after stop").isTrue();
    assertThat(run.exitValue()).as(Files.readString(log)).isZero();
    assertThat(Files.readString(log)).contains("listener smoke on http://127.0.0.1:" + port);

    // The store went into the data volume, written by the image's user.
    assertThat(data.resolve("sluice.db")).isRegularFile();
    assertThat(Files.getAttribute(data.resolve("sluice.db"), "unix:uid")).isEqualTo(Integer.parseInt(NON_ROOT));
    assertThat(Files.getAttribute(data.resolve("sluice.db"), "unix:gid")).isEqualTo(Integer.parseInt(NON_ROOT));
  }

  private record PodmanResult(int exitCode, String output) {}

  /**
   * podman with everything in the test's directory (images, containers, locks' state), so runs do
   * not share state with each other or the machine; vfs storage needs no overlay support, and runc
   * works where crun refuses a hybrid cgroup hierarchy.
   */
  private List<String> podmanCommand(String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman",
        "--root", dir.resolve("podman/root").toString(),
        "--runroot", dir.resolve("podman/run").toString(),
        "--tmpdir", dir.resolve("podman/tmp").toString(),
        "--storage-driver", "vfs",
        "--runtime", "runc",
        "--cgroup-manager", "cgroupfs",
        "--events-backend", "file"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private PodmanResult podman(Duration timeout, String... args) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "podman", ".txt");
    Process p = new ProcessBuilder(podmanCommand(args)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("podman " + String.join(" ", args) + " did not end within " + timeout + ": " + Files.readString(out));
    }
    return new PodmanResult(p.exitValue(), Files.readString(out));
  }

  private static Path blob(Path oci, String digest) {
    assertThat(digest).startsWith("sha256:");
    return oci.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }

  /** Runs tar; returns the lines it printed on stdout (GNU tar warns about libarchive headers on stderr). */
  private static List<String> tar(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("tar"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(p.waitFor()).as("tar %s", String.join(" ", args)).isZero();
    return lines;
  }
}
