package io.sluice.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A real {@code sluice serve} process with its own data directory and admin port, plus the real
 * CLI (each command a process of its own) pointed at it, and a JSON client for the admin API.
 */
final class ControlPlane implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private final Path dataDir;
  private final boolean ownDataDir;
  /** 0 until the first start has bound one; a restart binds the same port again, as a real restart would. */
  private int adminPort;
  private List<String> extraArgs;
  private ServerProcess server;

  private ControlPlane(Path dataDir, boolean ownDataDir, int adminPort, List<String> extraArgs) {
    this.dataDir = dataDir;
    this.ownDataDir = ownDataDir;
    this.adminPort = adminPort;
    this.extraArgs = extraArgs;
  }

  /** Starts {@code sluice serve} on a fresh data directory, with {@code extraArgs} (e.g. {@code --config-dir DIR}). */
  static ControlPlane start(String... extraArgs) throws IOException, InterruptedException {
    ControlPlane cp = new ControlPlane(Files.createTempDirectory("sluice-data"), true, 0, List.of(extraArgs));
    cp.startServer();
    return cp;
  }

  private void startServer() throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("serve", "--data-dir", dataDir.toString(),
        "--admin-address", "127.0.0.1:" + adminPort, "--event-loops", "1", "--node-id", "test-node"));
    args.addAll(extraArgs);
    server = ServerProcess.start(args.toArray(String[]::new));
    adminPort = server.adminPort();
  }

  /** SIGKILLs the server (no shutdown at all: what a crash or an OOM killer does) and waits until it is gone. */
  void kill() throws InterruptedException {
    server.kill();
  }

  /**
   * Starts the server again on the same data directory and admin port; a running one is stopped
   * with SIGTERM first, and must exit 0 (a stop on request is a success).
   */
  void restart() throws IOException, InterruptedException {
    if (server.isAlive()) {
      server.terminate();
      int code = server.waitForExit(Duration.ofSeconds(30));
      if (code != 0) throw new AssertionError("SIGTERM: sluice exited with " + code + server.describeOutput());
      if (!server.stderr().contains("ServeCommand - stopped")) throw new AssertionError("no clean stop" + server.describeOutput());
    }
    server.close();
    startServer();
  }

  /** Like {@link #restart()}, with other {@code extraArgs} from now on (e.g. the same directory by another path). */
  void restartWith(String... extraArgs) throws IOException, InterruptedException {
    this.extraArgs = List.of(extraArgs);
    restart();
  }

  ServerProcess server() {
    return server;
  }

  Path dataDir() {
    return dataDir;
  }

  String url() {
    return "http://127.0.0.1:" + adminPort;
  }

  /** Runs {@code sluice args... --server URL} as a process and returns what it did. */
  ServerProcess.Result sluice(String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add("--server");
    all.add(url());
    return ServerProcess.run(all.toArray(String[]::new));
  }

  /** Like {@link #sluice}, with {@code stdin} as the command's input. */
  ServerProcess.Result sluiceWithInput(String stdin, String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add("--server");
    all.add(url());
    return ServerProcess.runWithInput(stdin, all.toArray(String[]::new));
  }

  /** Like {@link #sluice} with {@code --token TOKEN}. */
  ServerProcess.Result sluiceWithToken(String token, String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add("--token");
    all.add(token);
    return sluice(all.toArray(String[]::new));
  }

  /** GET an admin API path; fails unless the answer is 200. */
  JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = send("GET", path, null, null);
    if (r.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    return JSON.readTree(r.body());
  }

  /** A request to the admin API with an optional JSON body and bearer token. */
  HttpResponse<String> send(String method, String path, @Nullable String json, @Nullable String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) b.header("Content-Type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    try {
      if (server != null) server.close();
    } finally {
      if (ownDataDir) ServerProcess.deleteRecursively(dataDir);
    }
  }

  /** Writes {@code text} to {@code dir/name} and returns the file. */
  static Path write(Path dir, String name, String text) {
    try {
      Path f = dir.resolve(name);
      Files.createDirectories(f.getParent());
      Files.writeString(f, text);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
