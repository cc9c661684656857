package io.sluice.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
  private static final HttpClient HTTP = HttpClient.newHttpClient();
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

  private static void put(String admin, String name, String yaml) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(admin + "/api/v1/routes/" + name))
        .header("Content-Type", "application/yaml")
        .PUT(HttpRequest.BodyPublishers.ofString(yaml))
        .build();
    HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) throw new IOException("PUT " + name + ": " + r.statusCode() + " " + r.body());
  }

  private static void propagate(String admin, int proxyPort, int count) throws Exception {
    long[] micros = new long[count];
    String nonce = Long.toString(System.nanoTime(), 36);
    for (int i = 0; i < count; i++) {
      String path = "/churn-" + nonce + "-" + i;
      String yaml = "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: churn-" + nonce + "-" + i + "}\n"
          + "spec: {match: {path: {exact: " + path + "}}, directResponse: {status: 204}}\n";
      long t0 = System.nanoTime();
      put(admin, "churn-" + nonce + "-" + i, yaml);
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

  private static void burst(String admin, int routes, int count, double interval, long pid) throws Exception {
    // Loading the generated routes keeps the gateway busy before its admin API listens.
    while (!answers(admin)) Thread.sleep(500);
    int next = 0;
    int priority = 1;
    while (true) {
      if (!underLoad(pid)) continue;
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        put(admin, "r-" + next, routeYaml(next, priority));
        next = (next + 1) % routes;
      }
      priority++;
      System.err.printf("burst of %d changes in %.0f ms%n", count, (System.nanoTime() - t0) / 1e6);
      Thread.sleep((long) (interval * 1000));
    }
  }

  private static boolean answers(String admin) throws InterruptedException {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(admin + "/api/v1/status")).build();
      return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
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
