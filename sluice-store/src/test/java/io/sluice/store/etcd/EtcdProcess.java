package io.sluice.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.CompactOption;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A real etcd for tests: Debian's {@code etcd-server} ({@code etcd} on the PATH), one member or a
 * cluster of several, on 127.0.0.1, each member with a data directory and a log file under the
 * directory given, stopped by PID on {@link #close()}.
 *
 * <p>Ports: etcd binds a port-0 listen URL, but then cannot reach itself (its gateway dials the URL as
 * written) and members must know each other's peer URLs before they start. So ports are picked by
 * binding port 0 and releasing it; when another process takes one before etcd binds it, etcd exits
 * with "address already in use" and every member is started again on new ports (a few times at most).
 *
 * <p>{@link #assumeInstalled()} skips a test where etcd is missing, with what to install; on CI
 * (environment variable {@code CI} set) a missing etcd fails instead, since {@code bin/test} installs
 * it there.
 */
public final class EtcdProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final int START_ATTEMPTS = 5;

  /** One member: its process, ports and files. */
  public record Member(String name, Process process, String scheme, int clientPort, int peerPort, int metricsPort, Path dataDir,
      Path logFile, List<String> command) {
    /** {@code http://127.0.0.1:port}, or {@code https://} when the etcd serves TLS. */
    public String clientUrl() {
      return scheme + "://127.0.0.1:" + clientPort;
    }

    /** Plain HTTP even when clients get TLS: {@code /health} and {@code /metrics}. */
    public String metricsUrl() {
      return "http://127.0.0.1:" + metricsPort;
    }
  }

  /** TLS for clients: the members' certificate and key (PEM files). */
  public record Tls(Path certificate, Path key) {}

  /** Replaced by {@link #restart(int)}; guarded by {@code this}. */
  private final List<Member> members;

  private EtcdProcess(List<Member> members) {
    this.members = new ArrayList<>(members);
  }

  /** The etcd binary, or null when it is not installed. */
  public static @Nullable Path binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, "etcd");
      if (Files.isExecutable(p)) return p;
    }
    return null;
  }

  /** Skips the calling test when etcd is not installed (fails instead on CI). */
  public static void assumeInstalled() {
    if (binary() != null) return;
    String what = "etcd is not installed: apt-get install etcd-server (bin/test installs it when run as root)";
    if (System.getenv("CI") != null) throw new AssertionError(what + "; on CI the etcd tests must run");
    Assumptions.abort(what);
  }

  /** Starts a one-member etcd with its files under {@code dir}. */
  public static EtcdProcess start(Path dir) throws IOException, InterruptedException {
    return start(dir, 1);
  }

  /** Starts a cluster of {@code size} members with their files under {@code dir}; returns once every member is healthy. */
  public static EtcdProcess start(Path dir, int size) throws IOException, InterruptedException {
    return start(dir, size, null);
  }

  /**
   * Starts a cluster of {@code size} members with their files under {@code dir}, serving clients
   * over TLS when {@code tls} is given; returns once every member is healthy.
   */
  public static EtcdProcess start(Path dir, int size, @Nullable Tls tls) throws IOException, InterruptedException {
    if (size < 1) throw new IllegalArgumentException("size must be at least 1, got " + size);
    Path etcd = binary();
    if (etcd == null) throw new IllegalStateException("etcd is not installed: apt-get install etcd-server");
    IOException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      List<Member> started = startMembers(etcd, dir.resolve("attempt-" + attempt), size, tls);
      try {
        awaitHealthy(started);
        return new EtcdProcess(started);
      } catch (IOException e) {
        stop(started);
        last = e;
        if (!e.getMessage().contains("address already in use")) throw e;
      }
    }
    throw new IOException("etcd did not start in " + START_ATTEMPTS + " attempts", last);
  }

  private static List<Member> startMembers(Path etcd, Path dir, int size, @Nullable Tls tls) throws IOException {
    List<Integer> ports = freePorts(3 * size);
    String cluster = "";
    for (int i = 0; i < size; i++) cluster += (i > 0 ? "," : "") + "m" + i + "=http://127.0.0.1:" + ports.get(3 * i + 1);
    String scheme = tls != null ? "https" : "http";
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String name = "m" + i;
      int client = ports.get(3 * i);
      int peer = ports.get(3 * i + 1);
      int metrics = ports.get(3 * i + 2);
      Path data = dir.resolve(name);
      Files.createDirectories(data);
      Path logFile = dir.resolve(name + ".log");
      String clientUrl = scheme + "://127.0.0.1:" + client;
      String peerUrl = "http://127.0.0.1:" + peer;
      List<String> command = new ArrayList<>(List.of(etcd.toString(),
          "--name", name,
          "--data-dir", data.resolve("etcd").toString(),
          "--listen-client-urls", clientUrl,
          "--advertise-client-urls", clientUrl,
          "--listen-peer-urls", peerUrl,
          "--initial-advertise-peer-urls", peerUrl,
          "--initial-cluster", cluster,
          "--initial-cluster-state", "new",
          "--initial-cluster-token", "sluice-test-" + dir.getFileName(),
          // A change set is one transaction of two or three keys per object: tests apply a few hundred.
          "--max-txn-ops", "4096",
          "--max-request-bytes", Integer.toString(16 << 20),
          // Health is asked here, in plain HTTP, whether clients get TLS or not.
          "--listen-metrics-urls", "http://127.0.0.1:" + metrics));
      if (tls != null) command.addAll(List.of("--cert-file", tls.certificate().toString(), "--key-file", tls.key().toString()));
      Process p = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(logFile.toFile())
          .start();
      members.add(new Member(name, p, scheme, client, peer, metrics, data, logFile, List.copyOf(command)));
    }
    return members;
  }

  /**
   * Ports free a moment ago, for etcd's client, peer and metrics URLs. The project's rule (servers in
   * tests bind port 0 and report the port they got) cannot hold here: etcd dials its URLs as written
   * and members must know each other's peer URLs before they start, so etcd cannot be told port 0
   * and asked afterwards. The race this leaves is handled by {@code start}: "address already in
   * use" starts again on new ports.
   */
  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) sockets.add(new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : sockets) s.close();
    }
  }

  private static void awaitHealthy(List<Member> members) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    for (Member m : members) {
      while (true) {
        if (!m.process().isAlive()) {
          throw new IOException("etcd member " + m.name() + " exited with " + m.process().exitValue() + ": " + tail(m.logFile()));
        }
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(m.metricsUrl() + "/health"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200 && r.body().contains("\"true\"")) break;
        } catch (IOException notYet) {
          // Not listening yet.
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IOException("etcd member " + m.name() + " not healthy within " + START_TIMEOUT + ": " + tail(m.logFile()));
        }
        // Polling a process we started: there is no event to wait on.
        Thread.sleep(50);
      }
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - 20), lines.size()).stream().collect(Collectors.joining("\n"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public synchronized List<Member> members() {
    return List.copyOf(members);
  }

  /** Ends member {@code i} with SIGKILL (a crash: no goodbye to its peers) and waits until it is gone. */
  public synchronized void kill(int i) throws InterruptedException {
    Process p = members.get(i).process();
    p.destroyForcibly();
    if (!p.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException("etcd member " + i + " survived SIGKILL");
  }

  /** Stops member {@code i} (SIGTERM, then SIGKILL after 10 s). */
  public synchronized void stop(int i) throws InterruptedException {
    stop(List.of(members.get(i)));
  }

  /**
   * Starts member {@code i} again, stopped or killed before, with its data directory, ports and
   * cluster as before (etcd reads its membership from the data directory); returns once it is healthy,
   * which for a member of a cluster needs a quorum of members running.
   */
  public void restart(int i) throws IOException, InterruptedException {
    startAgain(i);
    awaitHealthy(List.of(members().get(i)));
  }

  /** Starts every member again (see {@link #restart(int)}); returns once all are healthy. */
  public void restartAll() throws IOException, InterruptedException {
    for (int i = 0; i < members().size(); i++) startAgain(i);
    awaitHealthy(members());
  }

  private synchronized void startAgain(int i) throws IOException {
    Member m = members.get(i);
    if (m.process().isAlive()) throw new IllegalStateException("etcd member " + m.name() + " is running");
    Process p = new ProcessBuilder(m.command())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(m.logFile().toFile()))
        .start();
    members.set(i, new Member(m.name(), p, m.scheme(), m.clientPort(), m.peerPort(), m.metricsPort(), m.dataDir(), m.logFile(),
        m.command()));
  }

  /** The index of the member that is the raft leader now, asked of each running member's metrics; -1 when none says so. */
  public int leader() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    List<Member> all = members();
    for (int i = 0; i < all.size(); i++) {
      if (!all.get(i).process().isAlive()) continue;
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(all.get(i).metricsUrl() + "/metrics"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.body().lines().anyMatch(l -> l.equals("etcd_server_is_leader 1"))) return i;
      } catch (IOException e) {
        // Not answering: not the leader.
      }
    }
    return -1;
  }

  /** {@code 127.0.0.1:port,127.0.0.1:port,...}: every member's client address. */
  public String hostPorts() {
    return members().stream().map(m -> "127.0.0.1:" + m.clientPort()).collect(Collectors.joining(","));
  }

  /** A store URL of this etcd, such as {@code etcd://127.0.0.1:2379/sluice/test}. */
  public String url(String prefix) {
    return "etcd://" + hostPorts() + prefix;
  }

  /** A jetcd client of this etcd; the caller closes it. */
  public Client client() {
    return Client.builder().endpoints(members().stream().map(Member::clientUrl).toArray(String[]::new)).build();
  }

  /**
   * Compacts etcd's history up to its current revision, physically (what {@code etcdctl compact
   * --physical} does): superseded values of every key are gone afterwards.
   *
   * @return the revision compacted to
   */
  public long compact() throws Exception {
    try (Client c = client()) {
      long revision = c.getKVClient().get(ByteSequence.from("/", StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS)
          .getHeader().getRevision();
      c.getKVClient().compact(revision, CompactOption.builder().withCompactPhysical(true).build()).get(30, TimeUnit.SECONDS);
      return revision;
    }
  }

  /** Stops every member (SIGTERM, then SIGKILL after 10 s), by PID. */
  @Override
  public void close() throws InterruptedException {
    stop(members());
  }

  private static void stop(List<Member> members) throws InterruptedException {
    for (Member m : members) m.process().destroy();
    for (Member m : members) {
      if (!m.process().waitFor(10, TimeUnit.SECONDS)) {
        m.process().destroyForcibly();
        m.process().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
