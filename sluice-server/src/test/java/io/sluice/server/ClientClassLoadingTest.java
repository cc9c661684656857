package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client command loads (docs/benchmarks.md, "CLI start-up"): read from the JVM's own class
 * loading log of a real {@code sluice get routes} and {@code sluice status} against a real server.
 * No server-side library (Netty, SQLite, OpenTelemetry, Logback), no TLS for an {@code http://}
 * admin API, and no command but the one that runs.
 */
class ClientClassLoadingTest {
  private static final Pattern LOADED = Pattern.compile("\\] (\\S+) source: ");

  /** Prefixes of classes a client command has no use for. */
  private static final List<String> SERVER_SIDE = List.of(
      "io.netty.", "org.sqlite.", "io.etcd.", "io.grpc.", "io.opentelemetry.", "ch.qos.logback.",
      "sun.security.ssl.", "javax.net.ssl.", "jdk.internal.net.http.", "io.sluice.proxy.", "io.sluice.store.",
      "io.sluice.admin.");

  private static ControlPlane cp;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlane.start();
  }

  @AfterAll
  static void stop() {
    if (cp != null) cp.close();
  }

  @Test
  void getLoadsNoServerSideClassesAndNoOtherCommand() throws Exception {
    List<String> classes = loadedBy("get", "routes");
    assertThat(classes).contains("io.sluice.server.cli.GetCommand", "picocli.CommandLine", "java.net.HttpURLConnection");
    assertThat(classes).filteredOn(c -> SERVER_SIDE.stream().anyMatch(c::startsWith)).isEmpty();
    assertThat(classes).doesNotContain("io.sluice.server.ServeCommand", "io.sluice.server.ValidateCommand",
        "io.sluice.server.cli.DescribeCommand", "io.sluice.server.cli.ApplyCommand", "io.sluice.server.cli.TopCommand",
        "io.sluice.server.cli.ExplainCommand", "io.sluice.server.cli.CompletionCommand");
  }

  @Test
  void statusLoadsNoServerSideClassesAndNoOtherCommand() throws Exception {
    List<String> classes = loadedBy("status");
    assertThat(classes).contains("io.sluice.server.cli.StatusCommand");
    assertThat(classes).filteredOn(c -> SERVER_SIDE.stream().anyMatch(c::startsWith)).isEmpty();
    assertThat(classes).doesNotContain("io.sluice.server.ServeCommand", "io.sluice.server.cli.GetCommand");
  }

  @Test
  void getAndStatusReadTheAnswerWithoutAnObjectMapper() throws Exception {
    // Jackson's ObjectMapper costs ~400 classes to set up; reading a tree needs jackson-core's parser only.
    assertThat(loadedBy("get", "routes")).contains("com.fasterxml.jackson.core.JsonFactory")
        .doesNotContain("com.fasterxml.jackson.databind.ObjectMapper");
    assertThat(loadedBy("status")).contains("com.fasterxml.jackson.core.JsonFactory")
        .doesNotContain("com.fasterxml.jackson.databind.ObjectMapper");
  }

  @Test
  void picocliIsBuiltForJava21SoTheClassDataArchiveCanHoldIt() throws Exception {
    // The JVM leaves class files older than Java 6 (major version 50) out of its class data archive and
    // AOT cache: picocli's published jar is Java 5's (49), and every call parsed and verified it again.
    try (var in = picocli.CommandLine.class.getResourceAsStream("CommandLine.class")) {
      assertThat(in).isNotNull();
      byte[] head = in.readNBytes(8);
      assertThat((head[6] & 0xff) << 8 | head[7] & 0xff).as("class file major version").isEqualTo(65);
    }
  }

  /** The classes {@code sluice args... --server URL} loaded, in order, from the JVM's {@code class+load} log. */
  private List<String> loadedBy(String... args) throws Exception {
    Path log = dir.resolve("classes.log");
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.add("--server");
    all.add(cp.url());
    try (ServerProcess p = ServerProcess.start(List.of("-Xlog:class+load=info:file=" + log), all.toArray(String[]::new))) {
      assertThat(p.waitForExit(Duration.ofSeconds(30))).as(p.describeOutput()).isZero();
    }
    return Files.readAllLines(log).stream()
        .map(LOADED::matcher)
        .filter(Matcher::find)
        .map(m -> m.group(1))
        .toList();
  }
}
