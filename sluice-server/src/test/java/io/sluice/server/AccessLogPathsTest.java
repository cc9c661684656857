package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access log files through the real server: a path an object names must lead into the log
 * directory the operator gave at start ({@code --log-dir}), and the gateway writes only regular
 * files there, never through a link, and rotates only its own files (docs/security.md, "Paths").
 */
class AccessLogPathsTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path tmp;
  private Path logs;
  /** Somewhere the gateway must never write: another directory. */
  private Path elsewhere;
  private ControlPlane cp;

  @BeforeEach
  void start() throws Exception {
    logs = tmp.resolve("logs");
    elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    cp = ControlPlane.start("--log-dir", logs.toString());
  }

  @AfterEach
  void stop() {
    if (cp != null) cp.close();
  }

  private static String listener(String name, int port, String file) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: %s}
        spec:
          address: 127.0.0.1:%d
          accessLog: {fields: [path, status], file: %s}
        """.formatted(name, port, file);
  }

  private static final String HELLO = """
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: hello}
      spec:
        match: {path: {prefix: /hello}}
        directResponse: {status: 200, body: hi}
      """;

  private HttpResponse<String> apply(String yaml) throws IOException, InterruptedException {
    HttpRequest r = HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/apply"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/yaml")
        .POST(HttpRequest.BodyPublishers.ofString(yaml)).build();
    return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
  }

  /** Applies {@code yaml} and waits until the data plane runs it (the store acknowledges before). */
  private void applyOk(String yaml) throws IOException, InterruptedException {
    HttpResponse<String> r = apply(yaml);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    long revision = ControlPlane.JSON.readTree(r.body()).path("revision").asLong();
    await().atMost(Duration.ofSeconds(20)).until(() -> cp.get("/api/v1/status").path("appliedRevision").asLong() >= revision);
  }

  /** Asserts that {@code yaml} is refused with exactly one error, on the access log path of {@code object}. */
  private void assertRefused(String yaml, String object, String message) throws IOException, InterruptedException {
    HttpResponse<String> r = apply(yaml);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    JsonNode e = ControlPlane.JSON.readTree(r.body());
    assertThat(e.get("errors")).as(r.body()).hasSize(1);
    assertThat(e.at("/errors/0/object").asText()).isEqualTo(object);
    assertThat(e.at("/errors/0/field").asText()).isEqualTo("spec.accessLog.file.path");
    assertThat(e.at("/errors/0/message").asText()).isEqualTo(message);
  }

  private int get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** The port the OS picked for {@code listener} (configured on port 0), as the node's status reports it. */
  private int bound(String listener) throws IOException, InterruptedException {
    return BoundListeners.port(cp.get("/api/v1/status"), listener);
  }

  private String where() {
    return "the log directory " + logs + " (--log-dir)";
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.isRegularFile(file) ? Files.readAllLines(file) : List.of();
  }

  private void awaitServerLog(String text) {
    await().atMost(Duration.ofSeconds(20)).until(() -> cp.server().stderr().contains(text));
  }

  @Test
  void writesLinesToARelativePathUnderTheLogDirectory() throws Exception {
    applyOk(listener("web", 0, "{path: web/access.log}") + HELLO);

    assertThat(get(bound("web"), "/hello/1")).isEqualTo(200);

    Path file = logs.resolve("web/access.log");
    await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).equals(List.of("/hello/1 200")));
  }

  @Test
  void refusesAnAbsolutePathOutsideTheLogDirectoryAndKeepsTheRunningConfiguration() throws Exception {
    applyOk(listener("web", 0, "{path: access.log}") + HELLO);
    long revision = cp.get("/api/v1/status").path("storeRevision").asLong();
    Path cron = elsewhere.resolve("cron-job");

    assertRefused(listener("web", 0, "{path: " + cron + "}") + HELLO, "Listener/web",
        cron + " is outside " + where() + "; expected a path relative to it, such as access.log");

    assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(revision);
    assertThat(cp.get("/api/v1/listeners/web").at("/spec/accessLog/file/path").asText()).isEqualTo("access.log");
    assertThat(get(bound("web"), "/hello/after")).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> lines(logs.resolve("access.log")).equals(List.of("/hello/after 200")));
    assertThat(cron).doesNotExist();
  }

  @Test
  void refusesADotDotEscape() throws Exception {
    assertRefused(listener("web", 0, "{path: ../elsewhere/x.log}") + HELLO, "Listener/web",
        "../elsewhere/x.log has a '..' segment; expected a path inside " + where() + " without '..', such as access.log");

    assertThat(elsewhere.resolve("x.log")).doesNotExist();
  }

  @Test
  void refusesASymbolicLinkInTheLogDirectoryThatLeadsOutside() throws Exception {
    Files.createSymbolicLink(logs.resolve("out"), elsewhere);
    Path precious = Files.writeString(elsewhere.resolve("precious"), "precious\n");
    Files.createSymbolicLink(logs.resolve("link.log"), precious);

    assertRefused(listener("web", 0, "{path: out/access.log}") + HELLO, "Listener/web",
        "out/access.log leads outside " + where() + " through a symbolic link: " + logs.resolve("out") + " is "
            + elsewhere.toRealPath());
    assertRefused(listener("web", 0, "{path: link.log}") + HELLO, "Listener/web",
        "link.log is a symbolic link; expected a regular file (links are not followed)");

    assertThat(elsewhere.resolve("access.log")).doesNotExist();
    assertThat(precious).hasContent("precious");
  }

  @Test
  void doesNotWriteThroughASymbolicLinkMadeAfterValidationAndLogsWhy() throws Exception {
    applyOk(listener("web", 0, "{path: late.log}") + HELLO);
    Path precious = Files.writeString(elsewhere.resolve("precious"), "precious\n");
    Files.createSymbolicLink(logs.resolve("late.log"), precious);

    assertThat(get(bound("web"), "/hello/1")).isEqualTo(200);

    awaitServerLog("access log " + logs.resolve("late.log") + ": cannot open (refused: " + logs.resolve("late.log")
        + " is a symbolic link; expected a regular file (links are not followed)); lines are dropped until it works again");
    assertThat(precious).hasContent("precious");
  }

  @Test
  void refusesAFifoOrADirectoryAtThePathAndDoesNotWriteToOneMadeLater() throws Exception {
    Path fifo = logs.resolve("fifo.log");
    mkfifo(fifo);
    Files.createDirectories(logs.resolve("dir.log"));

    assertRefused(listener("web", 0, "{path: fifo.log}") + HELLO, "Listener/web",
        "fifo.log is a special file (FIFO, socket or device); expected a regular file");
    assertRefused(listener("web", 0, "{path: dir.log}") + HELLO, "Listener/web",
        "dir.log is a directory; expected a regular file");

    // A FIFO made after validation: opening it to write would block the writer until a reader came.
    applyOk(listener("web", 0, "{path: later.log}") + "---\n" + listener("ok", 0, "{path: ok.log}") + HELLO);
    mkfifo(logs.resolve("later.log"));
    assertThat(get(bound("web"), "/hello/fifo")).isEqualTo(200);
    awaitServerLog("access log " + logs.resolve("later.log") + ": cannot open (refused: " + logs.resolve("later.log")
        + " is a special file (FIFO, socket or device); expected a regular file)");
    // The writer thread is not stuck on the FIFO: the other listener's lines still arrive.
    assertThat(get(bound("ok"), "/hello/ok")).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> lines(logs.resolve("ok.log")).equals(List.of("/hello/ok 200")));
  }

  @Test
  void rotationWithKeepZeroNeitherWritesNorDeletesAHardLinkToAnUnrelatedFile() throws Exception {
    Path precious = Files.writeString(elsewhere.resolve("precious"), "precious\n");
    applyOk(listener("web", 0, "{path: linked.log, maxSize: 1KiB, keep: 0}") + HELLO);
    Files.createLink(logs.resolve("linked.log"), precious);

    // 100 lines of 16 bytes: past 1 KiB, so a log that wrote them would have rotated.
    for (int i = 0; i < 100; i++) assertThat(get(bound("web"), "/hello/" + (1000 + i))).isEqualTo(200);

    awaitServerLog("access log " + logs.resolve("linked.log") + ": cannot open (refused: " + logs.resolve("linked.log")
        + " has 2 hard links; expected a file of its own");
    assertThat(precious).hasContent("precious");
    assertThat(logs.resolve("linked.log")).hasContent("precious");
  }

  @Test
  void refusesALogPathThatIsAnotherLogsRotatedFile() throws Exception {
    assertRefused(listener("a", 0, "{path: web.log, keep: 2}") + "---\n" + listener("b", 0, "{path: web.log.2}") + HELLO,
        "Listener/b", logs.resolve("web.log.2") + " is Listener/a's rotated access log web.log.2 (keep: 2), which its rotation"
            + " replaces; expected another file name");
  }

  private static void mkfifo(Path p) throws IOException, InterruptedException {
    Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    assertThat(mk.waitFor()).isZero();
  }
}
