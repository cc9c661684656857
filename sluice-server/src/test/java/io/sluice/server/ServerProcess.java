package io.sluice.server;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real {@code sluice} command as a separate JVM, for tests that need what only a process has:
 * exit codes, signals, its own heap limits, stdout and stderr.
 *
 * <p>The child runs {@link Main} with the same java binary as the test JVM and the module's runtime
 * class path (the test class path without test classes and test jars, so it logs with the server's
 * own log configuration, {@code logging.LogConfigurator}). Its stdout and stderr go to files, readable at any time.
 * {@link #close()} sends SIGTERM, waits for the graceful exit, and kills only this process if it
 * does not come.
 */
final class ServerProcess implements AutoCloseable {
  private static final Duration EXIT_WAIT = Duration.ofSeconds(20);
  /**
   * How long a server may take to bind. A start takes 1–3 s on an idle machine; the bound is for a
   * machine whose cores run other test JVMs (two test forks, etcd, several nodes) and stays a bound
   * on waiting for an event, not a pause.
   */
  static final Duration START_WAIT = Duration.ofSeconds(90);

  private final Process process;
  private final Path outputDir;
  private final Path stdout;
  private final Path stderr;
  private final List<String> command;

  private ServerProcess(Process process, Path outputDir, Path stdout, Path stderr, List<String> command) {
    this.process = process;
    this.outputDir = outputDir;
    this.stdout = stdout;
    this.stderr = stderr;
    this.command = command;
  }

  /** Starts {@code sluice args...} with extra JVM options (e.g. {@code -Xmx256m}). */
  static ServerProcess start(List<String> jvmOptions, String... args) throws IOException {
    return startWithInput(jvmOptions, "", args);
  }

  /** Starts {@code sluice args...} with extra JVM options and {@code stdin} as its standard input. */
  static ServerProcess startWithInput(List<String> jvmOptions, String stdin, String... args) throws IOException {
    Path dir = Files.createTempDirectory("sluice-process");
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(defaultJvmOptions());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(runtimeClassPath());
    cmd.add(Main.class.getName());
    cmd.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(cmd)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    try (var in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    return new ServerProcess(p, dir, out, err, List.copyOf(cmd));
  }

  /**
   * Starts {@code sluice args...} with a small heap and the client compiler only: a process that
   * serves a few requests starts faster without C2 (tests that move a lot of data pass their own options).
   */
  static ServerProcess start(String... args) throws IOException {
    return start(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"), args);
  }

  /** What a command that runs to completion left behind. */
  record Result(int exitCode, String stdout, String stderr) {
    List<String> stdoutLines() {
      return stdout.lines().toList();
    }

    List<String> stderrLines() {
      return stderr.lines().toList();
    }
  }

  /** Runs {@code sluice args...} to completion (at most 30 s) and returns its exit code and output. */
  static Result run(String... args) throws IOException, InterruptedException {
    return runWithInput("", args);
  }

  /** Runs {@code sluice args...} with {@code stdin} as its input, like {@link #run}. */
  static Result runWithInput(String stdin, String... args) throws IOException, InterruptedException {
    try (ServerProcess p = startWithInput(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"), stdin, args)) {
      int code = p.waitForExit(Duration.ofSeconds(30));
      return new Result(code, p.stdout(), p.stderr());
    }
  }

  /** Waits until 127.0.0.1:{@code port} accepts connections; fails at once if the process dies. */
  ServerProcess awaitPort(int port) throws InterruptedException {
    long deadline = System.nanoTime() + START_WAIT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new AssertionError("sluice exited with " + process.exitValue() + " before port " + port
            + " accepted connections" + describeOutput());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
        return this;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("port " + port + " did not accept connections within " + START_WAIT.toSeconds() + " s" + describeOutput());
        }
        Thread.sleep(25);
      }
    }
  }

  /**
   * Waits for the log line {@code listener NAME on http(s)://HOST:PORT} that {@code sluice serve}
   * writes once the listener is bound, and returns the bound port: the way to find a listener
   * configured on port 0. Fails at once if the process dies, after {@link #START_WAIT} if the line does not come.
   */
  int awaitListener(String name) throws InterruptedException {
    return awaitLoggedPort("listener " + name + " on http", Pattern.compile(
        "listener " + Pattern.quote(name) + " on https?://(?:\\[[^\\]]+\\]|[^:\\s]+):(\\d+)"));
  }

  /** Waits for the log line {@code admin API on http://HOST:PORT} and returns the admin API's bound port. */
  int adminPort() throws InterruptedException {
    return awaitLoggedPort("admin API on http", Pattern.compile("admin API on http://(?:\\[[^\\]]+\\]|[^:\\s]+):(\\d+)"));
  }

  private int awaitLoggedPort(String what, Pattern line) throws InterruptedException {
    long deadline = System.nanoTime() + START_WAIT.toNanos();
    while (true) {
      // The server logs to stderr (logging.LogConfigurator); the log line comes only after the socket is bound.
      Matcher m = line.matcher(stderr());
      if (m.find()) return Integer.parseInt(m.group(1));
      if (!process.isAlive()) {
        throw new AssertionError("sluice exited with " + process.exitValue() + " before logging '" + what + "'" + describeOutput());
      }
      if (System.nanoTime() > deadline) throw new AssertionError("no '" + what + "' logged within " + START_WAIT.toSeconds() + " s" + describeOutput());
      Thread.sleep(25);
    }
  }

  /** Everything written to stdout so far. */
  String stdout() {
    return read(stdout);
  }

  /** Everything written to stderr so far. */
  String stderr() {
    return read(stderr);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Sends SIGTERM (what {@code kill PID}, systemd and Kubernetes send to stop a server). */
  void terminate() {
    process.destroy();
  }

  /** Sends SIGKILL (what a crash, the OOM killer or {@code kill -9} does: no shutdown at all) and waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) throw new AssertionError("sluice (pid " + process.pid() + ") survived SIGKILL");
  }

  /** Waits for the process to end and returns its exit code; fails if it is still running after {@code timeout}. */
  int waitForExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("sluice did not exit within " + timeout + describeOutput());
    }
    return process.exitValue();
  }

  /** The output of the process, for assertion messages. */
  String describeOutput() {
    return "\n--- command: " + String.join(" ", command.subList(command.indexOf(Main.class.getName()), command.size()))
        + "\n--- stdout:\n" + stdout() + "--- stderr:\n" + stderr();
  }

  /**
   * Stops the process: SIGTERM, a wait for its graceful exit, then SIGKILL of this process (and
   * only this one) if it is still there. Removes the output files.
   */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          System.err.println("sluice (pid " + process.pid() + ") ignored SIGTERM for " + EXIT_WAIT + "; killing it");
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      deleteRecursively(outputDir);
    }
  }

  /** The java binary of this JVM, so the child runs on the same JDK. */
  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** What bin/sluice passes too: Netty's native transport and its pooled buffers need them on recent JDKs. */
  private static List<String> defaultJvmOptions() {
    List<String> opts = new ArrayList<>(List.of("-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) opts.add("--sun-misc-unsafe-memory-access=allow");
    return opts;
  }

  /**
   * The server's runtime class path: the test JVM's class path (surefire puts it in
   * {@code java.class.path} even when it boots through a manifest-only jar) minus test classes,
   * test jars and surefire's own jars.
   */
  static String runtimeClassPath() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String kept = Stream.of(cp.split(File.pathSeparator))
        .filter(e -> !e.isBlank())
        .filter(e -> {
          String name = Path.of(e).getFileName().toString();
          return !name.equals("test-classes") && !name.endsWith("-tests.jar") && !name.startsWith("surefire")
              && !e.contains(File.separator + "surefire" + File.separator);
        })
        .collect(Collectors.joining(File.pathSeparator));
    if (Stream.of(kept.split(File.pathSeparator)).noneMatch(e -> e.contains("sluice-server"))) {
      throw new IllegalStateException("the class path has no sluice-server classes: " + cp);
    }
    return kept;
  }

  /** The repository root (the parent of sluice-server), found from the working directory. */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("examples").resolve("demo")) && Files.isDirectory(d.resolve("sluice-server"))) {
        return d;
      }
    }
    throw new IllegalStateException("no repository root (with examples/demo and sluice-server) above " + dir);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
