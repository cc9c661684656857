package io.sluice.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Configuration churn at scale, for bench/config-churn.sh (issue "Control plane", item 5). Plain JDK,
 * no dependencies, so it runs beside a gateway under load without disturbing it much.
 *
 * <ul>
 *   <li>{@code generate DIR ROUTES}: writes DIR/bench.yaml: the proxy-bench setup (listener
 *       127.0.0.1:18090, upstream 127.0.0.1:18080, a catch-all route) plus ROUTES more routes, half
 *       on 100 host names, half as path prefixes on the default host group.
 *   <li>{@code propagate ADMIN_URL PROXY_PORT COUNT}: COUNT times, creates a route for a new path
 *       through the admin API and measures the time from sending the change until the proxy
 *       routes a request by it (polled over a raw socket every 0.5 ms); prints percentiles.
 *   <li>{@code burst ADMIN_URL ROUTES COUNT INTERVAL_S PID}: while the gateway process PID is
 *       under load (it used at least half a core over the last quarter second), sends COUNT
 *       single-route changes back to back (each a new priority for one of the generated routes)
 *       every INTERVAL_S seconds; runs until killed. proxy-bench keeps the gateway running while it
 *       measures nginx and HAProxy on the same core, so changes are only sent while the gateway
 *       itself is being measured (or warmed up).
 * </ul>
 */
public final class ConfigChurn {
  /** USER_HZ: the unit of /proc/PID/stat's times; 100 on every Linux platform the JDK runs on. */
  private static final long TICKS_PER_SECOND = 100;

  private ConfigChurn() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage();
    switch (args[0]) {
      case "generate" -> generate(Path.of(args[1]), Integer.parseInt(args[2]));
      case "propagate" -> propagate(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "burst" -> burst(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
          Double.parseDouble(args[4]), Long.parseLong(args[5]));
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println("usage: ConfigChurn generate DIR ROUTES | propagate ADMIN_URL PROXY_PORT COUNT"
        + " | burst ADMIN_URL ROUTES COUNT INTERVAL_S PID");
    System.exit(2);
  }

  private static void generate(Path dir, int routes) throws IOException {
    Files.createDirectories(dir);
    StringBuilder y = new StringBuilder("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: bench}
        spec: {address: 127.0.0.1:18090}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: 127.0.0.1:18080}]
          pool: {maxConnectionsPerEndpoint: 1024}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec: {upstream: backend}
        """);
    for (int i = 0; i < routes; i++) y.append("---\n").append(routeYaml(i, 0));
    Files.writeString(dir.resolve("bench.yaml"), y);
  }

  private static String routeYaml(int i, int priority) {
    String hosts = i % 2 == 0 ? "hosts: [h" + (i % 100) + ".example.com], " : "";
    return "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: r-" + i + "}\n"
        + "spec: {" + hosts + "priority: " + priority + ", match: {path: {prefix: /p" + i + "}}, upstream: backend}\n";
  }

  /**
   * A keep-alive HTTP/1.1 connection to the admin API over a plain socket. The burst client shares
   * the load generator's core, so each change must cost it as little as possible: the JDK's
   * HttpClient spent more CPU there than the gateway spent applying the same changes.
   */
  private static final class Admin implements AutoCloseable {
    private final String host;
    private final int port;
    private @Nullable Socket socket;
    private @Nullable InputStream in;
    /** The body of the last response, for error messages. */
    private String lastBody = "";

    Admin(String url) {
      URI u = URI.create(url);
      host = u.getHost();
      port = u.getPort();
    }

    /** PUTs a route given as YAML; throws unless the answer is 2xx. */
    void putRoute(String name, String yaml) throws IOException {
      byte[] body = yaml.getBytes(StandardCharsets.UTF_8);
      String head = "PUT /api/v1/routes/" + name + " HTTP/1.1\r\nHost: " + host + "\r\n"
          + "Content-Type: application/yaml\r\nContent-Length: " + body.length + "\r\n\r\n";
      int status = exchange(head, body);
      if (status / 100 != 2) throw new IOException("PUT " + name + ": " + status + " " + lastBody);
    }

    /** Whether GET /api/v1/status answers 200 (false while nothing listens). */
    boolean answers() {
      try {
        return exchange("GET /api/v1/status HTTP/1.1\r\nHost: " + host + "\r\n\r\n", new byte[0]) == 200;
      } catch (IOException e) {
        close();
        return false;
      }
    }

    private int exchange(String head, byte[] body) throws IOException {
      if (socket == null) {
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
      }
      OutputStream out = socket.getOutputStream();
      byte[] h = head.getBytes(StandardCharsets.US_ASCII);
      byte[] req = Arrays.copyOf(h, h.length + body.length);
      System.arraycopy(body, 0, req, h.length, body.length);
      out.write(req);
      String statusLine = line();
      int status = Integer.parseInt(statusLine.substring(9, 12));
      int length = 0;
      boolean close = false;
      for (String l = line(); !l.isEmpty(); l = line()) {
        String lower = l.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
        if (lower.startsWith("connection:") && lower.contains("close")) close = true;
      }
      lastBody = new String(in.readNBytes(length), StandardCharsets.UTF_8);
      if (close) close();
      return status;
    }

    private String line() throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) throw new IOException("the admin API closed the connection mid-response");
        if (c != '\r') b.append((char) c);
      }
      return b.toString();
    }

    @Override
    public void close() {
      try {
        if (socket != null) socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null;
      in = null;
    }
  }

  private static void propagate(String adminUrl, int proxyPort, int count) throws Exception {
    Admin admin = new Admin(adminUrl);
    long[] micros = new long[count];
    String nonce = Long.toString(System.nanoTime(), 36);
    for (int i = 0; i < count; i++) {
      String path = "/churn-" + nonce + "-" + i;
      String yaml = "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: churn-" + nonce + "-" + i + "}\n"
          + "spec: {match: {path: {exact: " + path + "}}, directResponse: {status: 204}}\n";
      long t0 = System.nanoTime();
      admin.putRoute("churn-" + nonce + "-" + i, yaml);
      while (status(proxyPort, path) != 204) Thread.sleep(0, 500_000);
      micros[i] = (System.nanoTime() - t0) / 1000;
    }
    Arrays.sort(micros);
    System.out.printf("propagation of %d single-route changes (admin PUT sent -> proxy routes by it): "
            + "p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
        count, micros[count / 2] / 1000.0, micros[(int) Math.ceil(count * 0.99) - 1] / 1000.0, micros[count - 1] / 1000.0);
  }

  /** The status of GET path on the proxy, over a fresh raw connection (no client-side caching of anything). */
  private static int status(int port, String path) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: churn.example.com\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12);
      return Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
    }
  }

  private static void burst(String adminUrl, int routes, int count, double interval, long pid) throws Exception {
    Admin admin = new Admin(adminUrl);
    // Loading the generated routes keeps the gateway busy before its admin API listens.
    while (!admin.answers()) Thread.sleep(500);
    int next = 0;
    int priority = 1;
    while (true) {
      if (!underLoad(pid)) continue;
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        admin.putRoute("r-" + next, routeYaml(next, priority));
        next = (next + 1) % routes;
      }
      priority++;
      System.err.printf("burst of %d changes in %.0f ms%n", count, (System.nanoTime() - t0) / 1e6);
      Thread.sleep((long) (interval * 1000));
    }
  }

  /** Whether process {@code pid} used at least half a core during the next quarter second (Linux /proc). */
  private static boolean underLoad(long pid) throws IOException, InterruptedException {
    long before = cpuTicks(pid);
    Thread.sleep(250);
    long ticks = cpuTicks(pid) - before;
    return ticks * 8 >= TICKS_PER_SECOND; // half a core for a quarter second
  }

  /** utime + stime of {@code pid} (fields 14 and 15 of /proc/PID/stat, counted after the parenthesised name). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
