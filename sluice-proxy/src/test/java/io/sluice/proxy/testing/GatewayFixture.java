package io.sluice.proxy.testing;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigLoader;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.Gateway;
import io.sluice.proxy.metrics.MetricsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real gateway for a test: config written as YAML to a temporary directory, loaded through the
 * same {@link ConfigLoader} the server uses, and served on 127.0.0.1.
 */
public final class GatewayFixture implements AutoCloseable {
  private final Path dir;
  private final PathPolicy paths;
  private final Gateway gateway;
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private GatewayFixture(Path dir, PathPolicy paths, Gateway gateway) {
    this.dir = dir;
    this.paths = paths;
    this.gateway = gateway;
  }

  /** Starts a gateway with two event loops serving {@code yaml} (multi-document). */
  public static GatewayFixture start(String yaml) throws IOException, ConfigException {
    return start(yaml, MetricsOptions.DEFAULTS, PathPolicy.DEFAULT);
  }

  /** Starts a gateway with two event loops serving {@code yaml}, its metrics as {@code metrics} say. */
  public static GatewayFixture start(String yaml, MetricsOptions metrics) throws IOException, ConfigException {
    return start(yaml, metrics, PathPolicy.DEFAULT);
  }

  /** Starts a gateway with two event loops serving {@code yaml}, its files in the directories of {@code paths}. */
  public static GatewayFixture start(String yaml, PathPolicy paths) throws IOException, ConfigException {
    return start(yaml, MetricsOptions.DEFAULTS, paths);
  }

  private static GatewayFixture start(String yaml, MetricsOptions metrics, PathPolicy paths)
      throws IOException, ConfigException {
    Path dir = Files.createTempDirectory("sluice-test");
    Files.writeString(dir.resolve("config.yaml"), yaml);
    Gateway gw = Gateway.start(2, metrics);
    try {
      gw.apply(ConfigLoader.loadDirectory(dir, paths));
    } catch (RuntimeException | ConfigException e) {
      gw.close();
      throw e;
    }
    return new GatewayFixture(dir, paths, gw);
  }

  /** Replaces the config with {@code yaml} and applies it, as a reload of the directory would. */
  public void reload(String yaml) throws IOException, ConfigException {
    Files.writeString(dir.resolve("config.yaml"), yaml);
    gateway.apply(ConfigLoader.loadDirectory(dir, paths));
  }

  public Gateway gateway() {
    return gateway;
  }

  /**
   * The port the listener named {@code main} (the one {@link #simpleProxy} configures) is bound to:
   * with {@code address: 127.0.0.1:0} the one the OS picked.
   */
  public int port() {
    return port("main");
  }

  /** The port a listener is bound to; fails when it is not bound. */
  public int port(String listener) {
    java.net.InetSocketAddress a = gateway.boundAddress(listener);
    if (a == null) throw new IllegalStateException("listener " + listener + " is not bound");
    return a.getPort();
  }

  public Path configDir() {
    return dir;
  }

  public HttpClient client() {
    return client;
  }

  /** GET {@code http://127.0.0.1:port + path} with header name/value pairs. */
  public HttpResponse<String> get(int port, String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20));
    if (headers.length > 0) b.headers(headers);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A port on 127.0.0.1 that was bound and closed, so connecting to it is refused: a dead upstream
   * endpoint or admin URL. Nothing binds it later in the test; a listener a test configures uses
   * port 0 and reads the port it got ({@link #port()}, {@code ServerProcess.awaitListener}).
   */
  public static int closedPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A port that was free a moment ago. Binding it later races with every other process on the
   * machine: configure listeners on port 0 and read {@link #port()} instead.
   *
   * @deprecated kept only for the tests other work converts after merging (FreePortCallersTest lists
   *     them); remove it with the last of them
   */
  @Deprecated
  public static int freePort() {
    return closedPort();
  }

  /** A listener ({@code main}; port 0 lets the OS pick, see {@link #port()}), an upstream with the given endpoints, and one catch-all route to it. */
  public static String simpleProxy(int port, String... endpoints) {
    StringBuilder eps = new StringBuilder();
    for (String e : endpoints) eps.append("    - address: ").append(e).append('\n');
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints:
        %s  timeouts: {connect: 2s, response: 5s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(port, eps);
  }

  @Override
  public void close() throws IOException {
    gateway.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
