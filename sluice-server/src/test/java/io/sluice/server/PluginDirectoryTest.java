package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.PluginJarBuilder;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --plugin-dir}: jars dropped into the directory become Plugins that routes use, a
 * replaced jar swaps, and a removed jar's Plugin stays while a route uses it. One server.
 */
class PluginDirectoryTest {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(int port) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String config(String upstream, String filters) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:0}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: stamped}
        spec:
          match: {path: {prefix: /}}
          upstream: backend
        %s""".formatted(upstream, filters);
  }

  @Test
  void jarsInTheDirectoryArePluginsThatSwapWhenReplacedAndStayWhileARouteUsesThem(@TempDir Path dir) throws Exception {
    Path plugins = Files.createDirectory(dir.resolve("plugins"));
    Path v1 = PluginJarBuilder.stamp("v1").build(dir.resolve("v1.jar"));
    Path v2 = PluginJarBuilder.stamp("v2").build(dir.resolve("v2.jar"));
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        ControlPlane cp = ControlPlane.start("--plugin-dir", plugins.toString())) {
      Files.copy(v1, plugins.resolve("acme.jar"));
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(
          () -> cp.sluice("get", "plugin", "acme", "-o", "yaml").stdout().contains(PluginJarBuilder.sha256(v1)));
      Path routes = ControlPlane.write(dir, "routes.yaml", config(up.address(),
          "  filters:\n    - kind: acme/stamp\n      config: {header: x-stamp}\n"));
      ServerProcess.Result applied = cp.sluice("apply", "-f", routes.toString());
      assertThat(applied.exitCode()).as(applied.stderr()).isZero();
      int port = BoundListeners.port(cp.get("/api/v1/status"), "main");
      HttpResponse<String> r = get(port);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().allValues("x-stamp")).containsExactly("v1");

      // A new jar under the same name: the Plugin gets its hash and new requests its filters.
      Path tmp = dir.resolve("acme.jar.tmp");
      Files.copy(v2, tmp);
      Files.move(tmp, plugins.resolve("acme.jar"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> get(port).headers().allValues("x-stamp").equals(java.util.List.of("v2")));

      // Deleting the Plugin is refused while the route uses it, naming the route.
      ServerProcess.Result delete = cp.sluice("delete", "plugin", "acme");
      assertThat(delete.exitCode()).isNotZero();
      assertThat(delete.stderr()).contains("Plugin/acme is referred to by Route/stamped");

      // Removed while the route uses it: the Plugin stays (refused by the store) and the route serves on.
      Files.delete(plugins.resolve("acme.jar"));
      await().atMost(WITHIN).until(() -> cp.server().stderr().contains("Plugin/acme is referred to by Route/stamped"));
      assertThat(cp.sluice("get", "plugin", "acme", "-o", "yaml").stdout()).contains(PluginJarBuilder.sha256(v2));
      assertThat(get(port).headers().allValues("x-stamp")).containsExactly("v2");

      // Once the route no longer uses it, the retry deletes it.
      Path plain = ControlPlane.write(dir, "plain.yaml", config(up.address(), ""));
      assertThat(cp.sluice("apply", "-f", plain.toString()).exitCode()).isZero();
      await().atMost(WITHIN).pollInterval(Duration.ofMillis(200)).until(() -> cp.sluice("get", "plugin", "acme").exitCode() != 0);
      assertThat(get(port).headers().allValues("x-stamp")).isEmpty();
    }
  }
}
