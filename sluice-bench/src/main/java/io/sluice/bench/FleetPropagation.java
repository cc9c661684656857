package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's propagation, joining and watcher measurements, for {@code bench/fleet-propagation.sh}
 * (issue "Fleet mode", Done when). It starts a one-member etcd, a control plane and N data-plane
 * {@code sluice serve} processes (each labelled {@code node=dpK} and binding only the listener whose
 * {@code nodeSelector} names it), loads ROUTES routes through the control plane's admin API, then:
 *
 * <ol>
 *   <li>applies CHANGES one-route changes, one after another, and times for each change and node the
 *       interval from sending the apply until that node routes by the change (the node's listener is
 *       asked for the changed route every PROBE_MS over a keep-alive connection: precise to PROBE_MS
 *       plus one request), and until the node's membership record shows the revision (a watch on
 *       {@code P/nodes/}; the record is published by a reporter that reads the applied revision every
 *       250 ms, so this column is up to 250 ms later than the data plane);
 *   <li>the same again with WATCHERS more etcd watches of {@code P/revisions/} (what each node
 *       watches), opened by in-process jetcd clients, recording etcd's CPU time per change, its
 *       watcher count and its database size;
 *   <li>starts one more data-plane node and times it from process start until it routes the latest
 *       change and until its membership record shows the latest revision.
 * </ol>
 *
 * <p>Options: {@code --java BIN --classpath CP --jvm-opts "..." --cp-jvm-opts "..." --etcd BIN --work DIR
 * [--nodes 10] [--routes 10000] [--changes 50] [--watchers 100] [--probe-ms 2]}. Every process it
 * starts is its child and is stopped (SIGTERM, then SIGKILL) when it ends, also on SIGINT/SIGTERM.
 */
public final class FleetPropagation {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "/sluice/bench";
  private static final int CHUNK = 1000;
  private static final String WATCHERS_METRIC = "etcd_debugging_mvcc_watcher_total";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final Map<String, String> opts;
  private final Path work;
  private final int nodes;
  private final int routes;
  private final int changes;
  private final int watchers;
  private final long probeNanos;
  private final List<Process> children = new ArrayList<>();
  /** Per node id: the highest applied revision its membership record showed, and when it was first seen. */
  private final Map<String, Map<Long, Long>> seenAt = new ConcurrentHashMap<>();

  private FleetPropagation(Map<String, String> opts) {
    this.opts = opts;
    this.work = Path.of(required("work"));
    this.nodes = Integer.parseInt(opts.getOrDefault("nodes", "10"));
    this.routes = Integer.parseInt(opts.getOrDefault("routes", "10000"));
    this.changes = Integer.parseInt(opts.getOrDefault("changes", "50"));
    this.watchers = Integer.parseInt(opts.getOrDefault("watchers", "100"));
    this.probeNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(opts.getOrDefault("probe-ms", "2")));
    if (nodes < 1 || routes < 1 || changes < 1 || watchers < 0) {
      throw new IllegalArgumentException("--nodes, --routes and --changes must be at least 1 and --watchers at least 0, got "
          + nodes + ", " + routes + ", " + changes + ", " + watchers);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
      opts.put(args[i].substring(2), args[i + 1]);
    }
    FleetPropagation bench = new FleetPropagation(opts);
    Thread cleanup = new Thread(bench::stopChildren, "stop-children");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      bench.run();
    } finally {
      bench.stopChildren();
    }
  }

  private String required(String name) {
    String v = opts.get(name);
    if (v == null) throw new IllegalArgumentException("--" + name + " is required");
    return v;
  }

  /** One data-plane node: its id, admin port and listener port. */
  private record Node(String id, int admin, int port, Process process) {}

  private void run() throws Exception {
    Files.createDirectories(work);
    // etcd: one member (the measurement is of propagation, not of raft), limits raised for bulk applies.
    List<Integer> etcdPorts = freePorts(2);
    String etcdUrl = "http://127.0.0.1:" + etcdPorts.get(0);
    Process etcd = start(work.resolve("etcd.log"), List.of(required("etcd"), "--name", "bench", "--data-dir",
        work.resolve("etcd").toString(), "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
        "--listen-peer-urls", "http://127.0.0.1:" + etcdPorts.get(1), "--initial-advertise-peer-urls",
        "http://127.0.0.1:" + etcdPorts.get(1), "--initial-cluster", "bench=http://127.0.0.1:" + etcdPorts.get(1),
        "--max-txn-ops", "4096", "--max-request-bytes", Integer.toString(16 << 20)));
    awaitHttp(etcdUrl + "/health", Duration.ofSeconds(30));
    String store = "etcd://127.0.0.1:" + etcdPorts.get(0) + PREFIX;

    int cpAdmin = freePorts(1).get(0);
    Process cpProcess = start(work.resolve("cp.log"), serve(required("cp-jvm-opts"), store, "cp", "control-plane", cpAdmin, null));
    List<Integer> ports = freePorts(2 * (nodes + 1));
    List<Node> fleet = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      String id = "dp" + i;
      int admin = ports.get(2 * (i - 1));
      fleet.add(new Node(id, admin, ports.get(2 * (i - 1) + 1),
          start(work.resolve(id + ".log"), serve(required("jvm-opts"), store, id, "data-plane", admin, id))));
    }
    int joinAdmin = ports.get(2 * nodes);
    int joinPort = ports.get(2 * nodes + 1);
    String cp = "http://127.0.0.1:" + cpAdmin;
    awaitHttp(cp + "/api/v1/status", Duration.ofSeconds(120));
    for (Node n : fleet) awaitHttp("http://127.0.0.1:" + n.admin() + "/api/v1/status", Duration.ofSeconds(120));

    try (Client client = Client.builder().endpoints(etcdUrl).build()) {
      Watch.Watcher membership = client.getWatchClient().watch(bytes(PREFIX + "/nodes/"),
          WatchOption.builder().isPrefix(true).build(), Watch.listener(r -> {
            long now = System.nanoTime();
            for (WatchEvent e : r.getEvents()) {
              if (e.getEventType() != WatchEvent.EventType.PUT) continue;
              try {
                JsonNode n = JSON.readTree(e.getKeyValue().getValue().toString(StandardCharsets.UTF_8));
                seenAt.computeIfAbsent(n.path("id").asText(), k -> new ConcurrentHashMap<>())
                    .putIfAbsent(n.path("appliedRevision").asLong(), now);
              } catch (IOException bad) {
                System.err.println("unreadable membership record: " + bad);
              }
            }
          }));

      // The configuration: a listener per node (and one for the node that joins later), ROUTES routes.
      List<String> base = new ArrayList<>();
      for (Node n : fleet) base.add(listener(n.id(), n.port()));
      base.add(listener("dpjoin", joinPort));
      long loadStart = System.nanoTime();
      long revision = apply(cp, base);
      for (int from = 0; from < routes; from += CHUNK) {
        List<String> chunk = new ArrayList<>();
        for (int i = from; i < Math.min(routes, from + CHUNK); i++) chunk.add(route(i, 0));
        revision = apply(cp, chunk);
      }
      long loaded = revision;
      for (Node n : fleet) awaitHttp("http://127.0.0.1:" + n.port() + "/p0", Duration.ofSeconds(120));
      awaitMembership(fleet.stream().map(Node::id).toList(), loaded, Duration.ofSeconds(300));
      System.out.printf(Locale.ROOT, "loaded %d routes in %d revisions; every node applied them %.1f s after the first apply%n",
          routes, loaded, (System.nanoTime() - loadStart) / 1e9);

      long etcdPid = etcd.pid();
      Phase quiet = changes(cp, fleet, 1, "without extra watchers", etcdPid, cpProcess.pid(), etcdUrl);
      List<Client> watcherClients = new ArrayList<>();
      List<Watch.Watcher> extra = new ArrayList<>();
      AtomicLong delivered = new AtomicLong();
      Phase watched;
      try {
        // 10 watches per client, as 10 nodes' worth of connections: etcd counts each as a watcher.
        for (int i = 0; i < watchers; i++) {
          if (i % 10 == 0) watcherClients.add(Client.builder().endpoints(etcdUrl).build());
          extra.add(watcherClients.getLast().getWatchClient().watch(bytes(PREFIX + "/revisions/"),
              WatchOption.builder().isPrefix(true).build(), Watch.listener(r -> delivered.addAndGet(r.getEvents().size()))));
        }
        // jetcd registers a watch asynchronously: wait until etcd counts them all, so every one sees every change.
        long expected = Long.parseLong(quiet.etcdMetrics().getOrDefault(WATCHERS_METRIC, "0")) + watchers;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Long.parseLong(etcdMetrics(etcdUrl).getOrDefault(WATCHERS_METRIC, "0")) < expected) {
          if (System.nanoTime() > deadline) throw new IOException("etcd did not count " + expected + " watchers within 60 s");
          Thread.sleep(50);
        }
        watched = changes(cp, fleet, 1 + changes, "with " + watchers + " extra watchers", etcdPid, cpProcess.pid(),
            etcdUrl);
      } finally {
        extra.forEach(Watch.Watcher::close);
        watcherClients.forEach(Client::close);
      }

      // A node joins: from its process start until it routes the latest change / its record shows the latest revision.
      long latest = watched.lastRevision;
      int lastRoute = routeFor(2 * changes);
      long joinStart = System.nanoTime();
      start(work.resolve("dpjoin.log"), serve(required("jvm-opts"), store, "dpjoin", "data-plane", joinAdmin, "dpjoin"));
      long routed;
      try (Probe probe = new Probe(joinPort)) {
        String want = body(lastRoute, 2 * changes);
        long deadline = joinStart + TimeUnit.SECONDS.toNanos(300);
        while (!want.equals(probe.get(path(lastRoute), host(lastRoute)))) {
          if (System.nanoTime() > deadline) throw new IOException("the joining node did not route the latest change within 300 s");
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        routed = System.nanoTime();
      }
      awaitMembership(List.of("dpjoin"), latest, Duration.ofSeconds(300));
      long recorded = seenAt.getOrDefault("dpjoin", Map.of()).entrySet().stream().filter(e -> e.getKey() >= latest)
          .mapToLong(Map.Entry::getValue).min().orElseThrow();
      membership.close();

      print(quiet, watched, (routed - joinStart) / 1e6, (recorded - joinStart) / 1e6, delivered.get());
    }
  }

  /** What one series of changes measured. */
  private record Phase(String name, double[] ackMs, double[] routedMs, double[] recordMs, double etcdCpuMs, double cpCpuMs,
      double dpCpuMs, long lastRevision, Map<String, String> etcdMetrics) {}

  /** Applies {@link #changes} one-route changes numbered from {@code first}, timing each on every node. */
  private Phase changes(String cp, List<Node> fleet, int first, String name, long etcdPid, long cpPid, String etcdUrl)
      throws Exception {
    List<Probe> probes = new ArrayList<>();
    for (Node n : fleet) probes.add(new Probe(n.port()));
    double[] ack = new double[changes];
    double[] routedMs = new double[changes * fleet.size()];
    double[] recordMs = new double[changes * fleet.size()];
    long cpuBefore = cpuMillis(etcdPid);
    long cpBefore = cpuMillis(cpPid);
    long dpBefore = 0;
    for (Node n : fleet) dpBefore += cpuMillis(n.process().pid());
    long revision = 0;
    try {
      for (int c = 0; c < changes; c++) {
        int version = first + c;
        int r = routeFor(version);
        String want = body(r, version);
        CountDownLatch done = new CountDownLatch(fleet.size());
        long[] at = new long[fleet.size()];
        long sent = System.nanoTime();
        // One thread per node polls its listener from the moment the apply is sent.
        List<Thread> pollers = new ArrayList<>();
        for (int k = 0; k < fleet.size(); k++) {
          Probe p = probes.get(k);
          int slot = k;
          pollers.add(Thread.ofPlatform().start(() -> {
            try {
              long deadline = sent + TimeUnit.SECONDS.toNanos(120);
              while (!want.equals(p.get(path(r), host(r)))) {
                if (System.nanoTime() > deadline) throw new IOException("no change within 120 s");
                LockSupport.parkNanos(probeNanos);
              }
              at[slot] = System.nanoTime();
            } catch (IOException e) {
              at[slot] = -1;
              System.err.println("probe of " + fleet.get(slot).id() + ": " + e);
            } finally {
              done.countDown();
            }
          }));
        }
        revision = apply(cp, List.of(route(r, version)));
        long acked = System.nanoTime();
        ack[c] = (acked - sent) / 1e6;
        if (!done.await(150, TimeUnit.SECONDS)) throw new IOException("change " + version + " did not reach every node");
        for (Thread t : pollers) t.join();
        long rev = revision;
        awaitMembership(fleet.stream().map(Node::id).toList(), rev, Duration.ofSeconds(60));
        for (int k = 0; k < fleet.size(); k++) {
          if (at[k] < 0) throw new IOException("a probe failed; see above");
          routedMs[c * fleet.size() + k] = (at[k] - sent) / 1e6;
          long seen = seenAt.getOrDefault(fleet.get(k).id(), Map.of()).entrySet().stream().filter(e -> e.getKey() >= rev)
              .mapToLong(Map.Entry::getValue).min().orElseThrow();
          recordMs[c * fleet.size() + k] = (seen - sent) / 1e6;
        }
      }
    } finally {
      for (Probe p : probes) p.close();
    }
    double cpu = cpuMillis(etcdPid) - cpuBefore;
    double cpCpu = cpuMillis(cpPid) - cpBefore;
    long dpAfter = 0;
    for (Node n : fleet) dpAfter += cpuMillis(n.process().pid());
    Map<String, String> metrics = etcdMetrics(etcdUrl);
    return new Phase(name, ack, routedMs, recordMs, cpu, cpCpu, (double) (dpAfter - dpBefore) / fleet.size(), revision, metrics);
  }

  /** Each change its own route, spread over the table. */
  private int routeFor(int version) {
    return (int) ((version * 7919L) % routes);
  }

  private void awaitMembership(List<String> ids, long revision, Duration atMost) throws IOException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!ids.stream().allMatch(id -> seenAt.getOrDefault(id, Map.of()).keySet().stream().anyMatch(r -> r >= revision))) {
      if (System.nanoTime() > deadline) throw new IOException("membership did not show revision " + revision + " for all of " + ids);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  private void print(Phase quiet, Phase watched, double joinRoutedMs, double joinRecordMs, long delivered) {
    System.out.println();
    System.out.printf(Locale.ROOT, "fleet: %d data-plane nodes, %d routes, %d one-route changes per phase, probe every %d ms%n",
        nodes, routes, changes, TimeUnit.NANOSECONDS.toMillis(probeNanos));
    System.out.printf(Locale.ROOT, "%-34s %-28s %8s %8s %8s %8s%n", "phase", "interval (ms)", "p50", "p90", "p99", "max");
    for (Phase p : List.of(quiet, watched)) {
      row(p.name(), "apply acknowledged", p.ackMs());
      row(p.name(), "apply -> node routes by it", p.routedMs());
      row(p.name(), "apply -> membership record", p.recordMs());
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "joining node (%d routes): start -> routes the latest change %.0f ms; start -> membership shows"
        + " the latest revision %.0f ms%n", routes, joinRoutedMs, joinRecordMs);
    System.out.println();
    System.out.printf(Locale.ROOT, "%-34s %14s %14s %14s %14s%n", "etcd", "CPU ms/change", "watchers", "watch streams",
        "db size (MiB)");
    for (Phase p : List.of(quiet, watched)) {
      System.out.printf(Locale.ROOT, "%-34s %14.2f %14s %14s %14.1f%n", p.name(), p.etcdCpuMs() / changes,
          p.etcdMetrics().getOrDefault(WATCHERS_METRIC, "?"),
          p.etcdMetrics().getOrDefault("etcd_debugging_mvcc_watch_stream_total", "?"),
          Double.parseDouble(p.etcdMetrics().getOrDefault("etcd_mvcc_db_total_size_in_bytes", "0")) / (1 << 20));
    }
    System.out.printf(Locale.ROOT, "the %d extra watchers received %d events (%d changes each)%n", watchers, delivered, changes);
    System.out.println();
    System.out.printf(Locale.ROOT, "%-34s %22s %22s%n", "CPU per change (ms)", "control plane", "data plane (mean)");
    for (Phase p : List.of(quiet, watched)) {
      System.out.printf(Locale.ROOT, "%-34s %22.1f %22.1f%n", p.name(), p.cpCpuMs() / changes, p.dpCpuMs() / changes);
    }
  }

  private static void row(String phase, String what, double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    System.out.printf(Locale.ROOT, "%-34s %-28s %8.1f %8.1f %8.1f %8.1f%n", phase, what, pct(s, 50), pct(s, 90), pct(s, 99),
        s[s.length - 1]);
  }

  /** Nearest-rank percentile of sorted values. */
  private static double pct(double[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static String listener(String node, int port) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"%s"},
         "spec":{"address":"127.0.0.1:%d","nodeSelector":{"node":"%s"}}}""".formatted(node, port, node);
  }

  /** Half the routes on 100 host names, half as path prefixes on the default host group, as in config-churn.sh. */
  private static String route(int i, int version) {
    String hosts = i % 2 == 0 ? "\"hosts\":[\"" + host(i) + "\"]," : "";
    return """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"r-%d"},
         "spec":{%s"match":{"path":{"prefix":"%s"}},"directResponse":{"status":200,"body":"%s"}}}"""
        .formatted(i, hosts, path(i), body(i, version));
  }

  private static String host(int i) {
    return i % 2 == 0 ? "h" + (i % 100) + ".example.com" : "bench";
  }

  private static String path(int i) {
    return "/p" + i;
  }

  private static String body(int i, int version) {
    return "r-" + i + " v" + version;
  }

  /** POSTs the objects as one revision to the control plane's admin API; returns the revision. */
  private static long apply(String cp, List<String> objects) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(cp + "/api/v1/apply"))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
        .POST(HttpRequest.BodyPublishers.ofString("[" + String.join(",", objects) + "]")).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IOException("apply: " + r.statusCode() + " " + r.body());
    return JSON.readTree(r.body()).path("revision").asLong();
  }

  private List<String> serve(String jvmOpts, String store, String id, String role, int admin, @Nullable String label) {
    List<String> cmd = new ArrayList<>();
    cmd.add(required("java"));
    cmd.addAll(Arrays.asList(jvmOpts.trim().split("\\s+")));
    cmd.addAll(List.of("-cp", required("classpath"), "io.sluice.server.Main", "serve", "--store", store, "--role", role,
        "--node-id", id, "--data-dir", work.resolve(id).toString(), "--admin-address", "127.0.0.1:" + admin, "--event-loops", "1",
        // Eleven JVMs starting at once on a small machine: the first connection can take a while.
        "--store-connect-timeout", "120s"));
    if (label != null) cmd.addAll(List.of("--node-label", "node=" + label));
    return cmd;
  }

  private Process start(Path log, List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    synchronized (children) {
      children.add(p);
    }
    return p;
  }

  /** SIGTERM to every child, then SIGKILL to those still running after 20 s; by PID, children only. */
  private void stopChildren() {
    List<Process> all;
    synchronized (children) {
      all = List.copyOf(children);
      children.clear();
    }
    for (Process p : all.reversed()) p.destroy();
    for (Process p : all) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void awaitHttp(String url, Duration atMost) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (true) {
      try {
        HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() < 500) return;
      } catch (IOException notYet) {
        // Not listening yet.
      }
      if (System.nanoTime() > deadline) throw new IOException(url + " did not answer within " + atMost);
      Thread.sleep(100);
    }
  }

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : sockets) s.close();
    }
  }

  /** User + system CPU time of a process, from /proc/PID/stat (in USER_HZ ticks of 10 ms). */
  private static long cpuMillis(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
  }

  private static Map<String, String> etcdMetrics(String etcdUrl) throws IOException, InterruptedException {
    String text = HTTP.send(HttpRequest.newBuilder(URI.create(etcdUrl + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    Map<String, String> m = new HashMap<>();
    text.lines().filter(l -> !l.startsWith("#")).forEach(l -> {
      int sp = l.lastIndexOf(' ');
      if (sp > 0) m.put(l.substring(0, sp), l.substring(sp + 1));
    });
    return m;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** A keep-alive HTTP/1.1 connection to one node's listener; reconnects when the node closes it. */
  private static final class Probe implements AutoCloseable {
    private final int port;
    private @Nullable Socket socket;
    private @Nullable InputStream in;

    Probe(int port) {
      this.port = port;
    }

    /** The body of {@code GET path} with {@code Host: host}, or "" when the node does not answer yet. */
    String get(String path, String host) {
      try {
        Socket s = socket;
        InputStream in = this.in;
        if (s == null || in == null) {
          s = new Socket(InetAddress.getLoopbackAddress(), port);
          s.setTcpNoDelay(true);
          in = new BufferedInputStream(s.getInputStream());
          socket = s;
          this.in = in;
        }
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        String status = line(in);
        int length = 0;
        boolean close = false;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
          String lower = h.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) length = Integer.parseInt(h.substring(15).trim());
          if (lower.startsWith("connection:") && lower.contains("close")) close = true;
        }
        byte[] body = in.readNBytes(length);
        if (close) close();
        return status.startsWith("HTTP/1.1 200") ? new String(body, StandardCharsets.UTF_8) : "";
      } catch (IOException e) {
        close();
        return "";
      }
    }

    private static String line(InputStream in) throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) throw new IOException("connection closed");
        if (c != '\r') b.append((char) c);
      }
      return b.toString();
    }

    @Override
    public void close() {
      try {
        if (socket != null) socket.close();
      } catch (IOException ignored) {
        // Closing a connection we no longer need.
      }
      socket = null;
      in = null;
    }
  }
}
