package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.store.ConfigStore;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A real admin server on 127.0.0.1 (ephemeral port) over a real SQLite store in a temporary
 * directory, and a real HTTP/1.1 client for it. Close it after each test.
 */
final class AdminFixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant STARTED = Instant.parse("2025-01-02T03:04:05Z");

  /** What the fixture's {@code GET /api/v1/stats} serves: a record, as the data plane's stats are. */
  record FixtureStats(String time, List<FixtureRoute> routes) {}

  record FixtureRoute(String name, long requests, double p99) {}

  static final FixtureStats STATS = new FixtureStats("2025-01-02T03:04:06.000Z", List.of(new FixtureRoute("api", 5, 1.5)));

  final ConfigStore store;
  final AdminServer server;
  final URI base;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /** A response, read whole. */
  record Res(int status, HttpHeaders headers, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (status " + status + "): " + body, e);
      }
    }

    @Nullable String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  AdminFixture(Path dir) {
    this(dir, List.of(), request -> RouteTestResult.noMatch(), Map.of());
  }

  AdminFixture(Path dir, List<AdminToken> tokens) {
    this(dir, tokens, request -> RouteTestResult.noMatch(), Map.of());
  }

  AdminFixture(Path dir, List<AdminToken> tokens, RouteTester tester, Map<String, AdminEndpoint> endpoints) {
    this(dir, tokens, tester, endpoints, b -> {});
  }

  /** With {@code more} done to the builder last (a membership, refused writes). */
  AdminFixture(Path dir, List<AdminToken> tokens, java.util.function.Consumer<AdminServer.Builder> more) {
    this(dir, tokens, request -> RouteTestResult.noMatch(), Map.of(), more);
  }

  private AdminFixture(Path dir, List<AdminToken> tokens, RouteTester tester, Map<String, AdminEndpoint> endpoints,
      java.util.function.Consumer<AdminServer.Builder> more) {
    store = SqliteConfigStore.open(dir);
    AdminServer.Builder b = AdminServer.builder()
        .address(new InetSocketAddress("127.0.0.1", 0))
        .store(store)
        .tokens(tokens)
        .nodeStatus(() -> new NodeStatus("node-1", "0.1.0-test", store.revision(), STARTED,
            Map.of("public", "127.0.0.1:8080", "internal", "127.0.0.1:8081")))
        .routeTester(tester)
        .stats(() -> STATS);
    endpoints.forEach(b::endpoint);
    more.accept(b);
    server = b.build();
    try {
      server.start();
    } catch (IOException e) {
      store.close();
      throw new UncheckedIOException(e);
    }
    InetSocketAddress a = server.boundAddress();
    base = URI.create("http://127.0.0.1:" + a.getPort());
  }

  Res get(String path, String... headers) {
    return send("GET", path, null, headers);
  }

  Res post(String path, @Nullable String body, String... headers) {
    return send("POST", path, body, headers);
  }

  Res put(String path, String body, String... headers) {
    return send("PUT", path, body, headers);
  }

  Res delete(String path, String... headers) {
    return send("DELETE", path, null, headers);
  }

  /**
   * {@code headers} as name, value, name, value... A body goes as {@code application/json} unless
   * the headers give a Content-Type, as curl and the CLI send it.
   */
  Res send(String method, String path, @Nullable String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    boolean typed = false;
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
      typed |= headers[i].equalsIgnoreCase("Content-Type");
    }
    if (body != null && !typed) b.header("Content-Type", "application/json");
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Res(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Applies YAML objects through the API (as {@code local}) and returns the new revision. */
  long apply(String yaml) {
    Res r = post("/api/v1/apply", yaml, "Content-Type", "application/yaml");
    if (r.status() != 200) throw new AssertionError("apply failed: " + r.status() + " " + r.body());
    return r.json().get("revision").asLong();
  }

  static String upstream(String name, String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata:
          name: %s
        spec:
          endpoints:
            - address: %s
        """.formatted(name, address);
  }

  static String route(String name, String prefix, String upstream) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata:
          name: %s
        spec:
          match:
            path:
              prefix: %s
          upstream: %s
        """.formatted(name, prefix, upstream);
  }

  static String listener(String name, String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata:
          name: %s
        spec:
          address: %s
        """.formatted(name, address);
  }

  static String docs(String... documents) {
    List<String> parts = new ArrayList<>(List.of(documents));
    return String.join("---\n", parts);
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      store.close();
    }
  }
}
