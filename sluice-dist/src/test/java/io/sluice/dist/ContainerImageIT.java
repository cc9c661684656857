package io.sluice.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image tarball Jib builds with {@code -Pimage}. Jib needs the base image
 * ({@code eclipse-temurin:21-jre}) from its registry, so the default, offline build does not make
 * one and this test is skipped then; it checks whichever tarball {@code package} left.
 */
class ContainerImageIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void imageRunsServeAsANonRootUserWithItsPortsAndVolumes() throws Exception {
    Path image = Path.of(System.getProperty("sluice.image.tar", "target/none.tar"));
    assumeTrue(Files.isRegularFile(image), "no image tarball at " + image
        + ": it is built with ./mvnw -Pimage package, which pulls eclipse-temurin:21-jre from its registry");
    tar("-xf", image.toString(), "-C", dir.toString());

    JsonNode index = read("index.json");
    assertThat(index.path("manifests")).hasSize(1);
    assertThat(index.path("manifests").get(0).path("annotations").path("org.opencontainers.image.ref.name").asText())
        .isEqualTo("sluice:" + Distribution.version());
    JsonNode manifest = blob(index.path("manifests").get(0).path("digest").asText());
    assertThat(manifest.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
    JsonNode config = blob(manifest.path("config").path("digest").asText()).path("config");

    List<String> entrypoint = strings(config.path("Entrypoint"));
    assertThat(entrypoint.getFirst()).isEqualTo("java");
    assertThat(entrypoint.getLast()).isEqualTo("io.sluice.server.Main");
    assertThat(entrypoint).contains("-XX:+UseParallelGC", "-XX:ThreadPriorityPolicy=1")
        .doesNotContain("--sun-misc-unsafe-memory-access=allow"); // Java 21 refuses the flag
    assertThat(strings(config.path("Cmd"))).containsExactly("serve", "--config-dir", "/etc/sluice", "--data-dir", "/var/lib/sluice");
    assertThat(config.path("User").asText()).isEqualTo("65532:65532");
    assertThat(names(config.path("ExposedPorts"))).containsExactlyInAnyOrder("8080/tcp", "8443/tcp", "9900/tcp");
    assertThat(names(config.path("Volumes"))).containsExactlyInAnyOrder("/etc/sluice", "/var/lib/sluice");
    assertThat(config.path("Labels").path("org.opencontainers.image.version").asText()).isEqualTo(Distribution.version());

    List<String> files = new ArrayList<>();
    for (JsonNode layer : manifest.path("layers")) files.addAll(tar("-tzf", blobPath(layer.path("digest").asText()).toString()));
    assertThat(files).contains("app/libs/sluice-server-" + Distribution.version() + ".jar", "app/jib-classpath-file")
        .anyMatch(f -> f.startsWith("app/libs/netty-transport-native-epoll-"));
  }

  private JsonNode read(String file) throws IOException {
    return JSON.readTree(dir.resolve(file).toFile());
  }

  private JsonNode blob(String digest) throws IOException {
    return JSON.readTree(blobPath(digest).toFile());
  }

  private Path blobPath(String digest) {
    assertThat(digest).startsWith("sha256:");
    return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
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
