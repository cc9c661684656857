package io.sluice.dist;

import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The built release archive and the unpacked launcher, for the smoke tests. */
final class Distribution {
  private Distribution() {}

  /** The project version the build was made with ({@code sluice.version}, set by failsafe). */
  static String version() {
    return System.getProperty("sluice.version", "unknown");
  }

  /** The archive {@code package} built ({@code target/sluice-VERSION.tar.gz}). */
  static Path archive() {
    Path archive = Path.of(System.getProperty("sluice.archive", "target/sluice-" + version() + ".tar.gz"));
    if (!Files.isRegularFile(archive)) throw new AssertionError("no release archive at " + archive + "; run ./mvnw package first");
    return archive;
  }

  /** Unpacks the archive with tar (file modes as a user gets them) into {@code into}; returns its top directory. */
  static Path unpack(Path into) throws IOException, InterruptedException {
    Files.createDirectories(into);
    Process tar = new ProcessBuilder("tar", "-xzf", archive().toString(), "-C", into.toString())
        .redirectErrorStream(true).start();
    String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (tar.waitFor() != 0) throw new AssertionError("tar failed: " + out);
    try (var top = Files.list(into)) {
      List<Path> dirs = top.toList();
      if (dirs.size() != 1) throw new AssertionError("the archive must hold one top directory, has " + dirs);
      return dirs.getFirst();
    }
  }

  /** What a command that ran to completion printed. */
  record Result(int exitCode, String stdout, String stderr) {}

  /** Runs {@code home/bin/sluice args...} in {@code work} to completion (at most 60 s). */
  static Result run(Path home, Path work, String... args) throws IOException, InterruptedException {
    return runWith(home, work, List.of(), args);
  }

  /** Like {@link #run}, with extra environment entries ({@code NAME=value}). */
  static Result runWith(Path home, Path work, List<String> env, String... args) throws IOException, InterruptedException {
    Process p = launch(home, work, env, args);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("bin/sluice " + String.join(" ", args) + " did not exit within 60 s");
    }
    return new Result(p.exitValue(), Files.readString(work.resolve("stdout.txt")), Files.readString(work.resolve("stderr.txt")));
  }

  /** Starts {@code home/bin/sluice args...} in {@code work}; its output goes to {@link #output}'s files. */
  static Process start(Path home, Path work, String... args) throws IOException {
    return launch(home, work, List.of(), args);
  }

  /** Starts {@code home/bin/sluice args...} in {@code work} with {@code env} (NAME=value) added. */
  static Process startWith(Path home, Path work, List<String> env, String... args) throws IOException {
    return launch(home, work, env, args);
  }

  /** What the last process started in {@code work} printed, for failure messages. */
  static String output(Path work) {
    try {
      return "stdout:\n" + Files.readString(work.resolve("stdout.txt")) + "stderr:\n" + Files.readString(work.resolve("stderr.txt"));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  /** An upstream on 127.0.0.1 (port 0) that answers every path with 200 {@code upstream saw PATH} and {@code X-Upstream: test}. */
  static HttpServer startUpstream() throws IOException {
    HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext("/", exchange -> {
      byte[] body = ("upstream saw " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("X-Upstream", "test");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    upstream.start();
    return upstream;
  }

  /**
   * Writes the smoke test's configuration into {@code conf} (created): listener {@code smoke} on
   * 127.0.0.1:{@code port}, every path routed to the upstream on 127.0.0.1:{@code upstreamPort}.
   */
  static Path writeSmokeConfig(Path conf, int port, int upstreamPort) throws IOException {
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("gateway.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: smoke}
        spec: {address: 127.0.0.1:%d}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints:
            - address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          match:
            path: {prefix: /}
          upstream: backend
        """.formatted(port, upstreamPort));
    return conf;
  }

  /**
   * Waits (at most {@code within}) for {@code sluice serve}'s log line {@code listener NAME on
   * http(s)://HOST:PORT} in {@code log} and returns the port: how a test finds a listener it
   * configured on port 0. Fails at once, with the log, when {@code process} exits first.
   */
  static int awaitListener(Path log, Process process, String name, Duration within) {
    return awaitLoggedPort(log, process, Pattern.compile(
        "listener " + Pattern.quote(name) + " on https?://(?:\\[[^\\]]+\\]|[^:\\s]+):(\\d+)"), within);
  }

  /** Like {@link #awaitListener}, for the admin API's log line {@code admin API on http://HOST:PORT}. */
  static int awaitAdminPort(Path log, Process process, Duration within) {
    return awaitLoggedPort(log, process, Pattern.compile("admin API on http://(?:\\[[^\\]]+\\]|[^:\\s]+):(\\d+)"), within);
  }

  private static int awaitLoggedPort(Path log, Process process, Pattern line, Duration within) {
    AtomicInteger port = new AtomicInteger();
    await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() -> {
      String text = Files.isRegularFile(log) ? Files.readString(log) : "";
      Matcher m = line.matcher(text);
      if (m.find()) {
        port.set(Integer.parseInt(m.group(1)));
        return true;
      }
      if (!process.isAlive()) throw new AssertionError("exited with " + process.exitValue() + " before logging " + line + ":\n" + text);
      return false;
    });
    return port.get();
  }

  /** Whether {@code program} is an executable in a directory of the PATH. */
  static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) return true;
    }
    return false;
  }

  private static Process launch(Path home, Path work, List<String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/sluice").toString()));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(work.toFile())
        .redirectOutput(work.resolve("stdout.txt").toFile())
        .redirectError(work.resolve("stderr.txt").toFile());
    Map<String, String> e = pb.environment();
    // The JDK running the tests; the launcher's own search is bin/find-java's, tested by its callers.
    e.put("JAVA_HOME", System.getProperty("java.home"));
    e.put("SLUICE_CACHE_DIR", work.resolve("cache").toString());
    e.remove("SLUICE_JAVA_OPTS");
    e.remove("SLUICE_VERBOSE");
    e.remove("SLUICE_CLASSPATH");
    for (String entry : env) {
      int eq = entry.indexOf('=');
      e.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    Process p = pb.start();
    p.getOutputStream().close();
    return p;
  }
}
