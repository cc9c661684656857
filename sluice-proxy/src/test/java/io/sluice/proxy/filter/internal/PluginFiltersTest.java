package io.sluice.proxy.filter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.PluginJarBuilder;
import io.sluice.proxy.testing.TestUpstream;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin jars through the real proxy: jars built from source at test time, one gateway for the
 * class, each test applying the configuration it needs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PluginFiltersTest {
  private Path dir;
  private TestUpstream upstream;
  private GatewayFixture gw;
  private Path v1;
  private Path v2;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    v1 = PluginJarBuilder.stamp("v1").build(dir.resolve("acme-v1.jar"));
    v2 = PluginJarBuilder.stamp("v2").build(dir.resolve("acme-v2.jar"));
    upstream = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "ok"));
    gw = GatewayFixture.start(config(v1, ""));
  }

  @AfterAll
  void stop() throws Exception {
    if (gw != null) gw.close();
    if (upstream != null) upstream.close();
  }

  /** A listener, an upstream, the Plugin {@code acme} at {@code jar} and a route {@code /} with {@code filters}. */
  private String config(Path jar, String filters) throws Exception {
    return base(upstream.address()) + plugin("acme", jar) + route(filters);
  }

  private static String base(String upstreamAddress) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:0
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
        ---
        """.formatted(upstreamAddress);
  }

  private static String plugin(String name, Path jar) throws Exception {
    return plugin(name, jar, PluginJarBuilder.sha256(jar));
  }

  private static String plugin(String name, Path jar, String sha256) {
    return """
        apiVersion: sluice.io/v1
        kind: Plugin
        metadata: {name: %s}
        spec:
          jar: "%s"
          sha256: %s
        ---
        """.formatted(name, jar, sha256);
  }

  private static String route(String filters) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: stamped}
        spec:
          match: {path: {prefix: /}}
          upstream: backend
        """ + (filters.isEmpty() ? "" : "  filters:\n" + filters.indent(4)) + "---\n";
  }

  private static final String STAMP = "- kind: acme/stamp\n  config: {header: x-stamp}";

  private HttpResponse<String> get() throws Exception {
    return gw.get(gw.port(), "/");
  }

  @Test
  void pluginFilterSetsResponseHeaderAndRunsItsOwnBundledClass() throws Exception {
    gw.reload(config(v1, STAMP));
    HttpResponse<String> r = get();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("ok");
    assertThat(r.headers().allValues("x-stamp")).containsExactly("v1");
    // The plugin's own com.fasterxml.jackson.databind.ObjectMapper, not the gateway's Jackson.
    assertThat(r.headers().allValues("x-mapper")).containsExactly("bundled");
  }

  @Test
  void pluginConfigDefaultsAreLaidUnderTheRoutesConfig() throws Exception {
    String withDefaults = base(upstream.address()) + plugin("acme", v1).replace("---\n",
        "  config:\n    stamp: {header: x-default, value: from-plugin}\n---\n")
        + route("- kind: acme/stamp\n  config: {header: x-stamp}");
    gw.reload(withDefaults);
    HttpResponse<String> r = get();
    assertThat(r.headers().allValues("x-stamp")).containsExactly("from-plugin");
    assertThat(r.headers().allValues("x-default")).isEmpty();
  }

  @Test
  void swapsToANewJarUnderLoadWithNoFailedRequestAndReleasesTheOldLoader() throws Exception {
    gw.reload(config(v1, STAMP));
    WeakReference<ClassLoader> oldLoader = new WeakReference<>(
        PluginJars.load("acme", v1, PluginJarBuilder.sha256(v1)).loader());
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    List<CompletableFuture<List<String>>> clients = new ArrayList<>();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI uri = URI.create("http://127.0.0.1:" + gw.port() + "/");
    for (int c = 0; c < 4; c++) {
      clients.add(CompletableFuture.supplyAsync(() -> {
        List<String> seen = new ArrayList<>();
        try {
          while (!stop.get() || seen.size() < 500) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
            seen.add(r.statusCode() + " " + r.headers().firstValue("x-stamp").orElse("-") + " " + r.body());
            done.incrementAndGet();
          }
        } catch (Exception e) {
          seen.add("failed: " + e);
        }
        return seen;
      }));
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> done.get() >= 600);
    gw.reload(config(v2, STAMP));
    int atSwap = done.get();
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> done.get() >= atSwap + 1400);
    stop.set(true);
    int total = 0;
    for (CompletableFuture<List<String>> f : clients) {
      List<String> seen = f.get();
      total += seen.size();
      assertThat(seen).allMatch(s -> s.equals("200 v1 ok") || s.equals("200 v2 ok"));
      // v1 until the swap, v2 from then on: never back.
      int firstV2 = seen.indexOf("200 v2 ok");
      assertThat(firstV2).isPositive();
      assertThat(seen.subList(firstV2, seen.size())).containsOnly("200 v2 ok");
    }
    assertThat(total).isGreaterThanOrEqualTo(2000);
    // No compiled configuration holds v1's filters any more: its loader is collected.
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      System.gc();
      return oldLoader.get() == null;
    });
  }

  @Test
  void refusesAJarWhoseSha256DiffersNamingTheFieldAndKeepsTheRunningConfig() throws Exception {
    gw.reload(config(v1, STAMP));
    String wrong = "0".repeat(64);
    assertThatThrownBy(() -> gw.reload(base(upstream.address()) + plugin("acme", v1, wrong) + route(STAMP)))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(ConfigError::field, ConfigError::object)
            .contains(org.assertj.core.groups.Tuple.tuple("spec.sha256", "Plugin/acme")));
    assertThat(get().headers().allValues("x-stamp")).containsExactly("v1");
  }

  @Test
  void refusesAFileThatIsNotAPluginJarNamingSpecJar() throws Exception {
    Path notJar = Files.writeString(dir.resolve("not-a-jar.jar"), "hello");
    Path noFactory = new PluginJarBuilder().source("acme.Nothing", "package acme; public class Nothing {}").build(dir.resolve("empty.jar"));
    Path throwing = new PluginJarBuilder().source("acme.Broken", """
        package acme;
        public final class Broken implements io.sluice.filter.FilterFactory<Object> {
          public Broken() { throw new IllegalStateException("boom"); }
          public String kind() { return "broken"; }
          public Class<Object> configType() { return Object.class; }
          public io.sluice.filter.Filter create(Object c, io.sluice.filter.FilterEnvironment e) { return new io.sluice.filter.Filter() {}; }
        }
        """).factory("acme.Broken").build(dir.resolve("broken.jar"));
    for (Path bad : List.of(notJar, noFactory, throwing)) {
      assertThatThrownBy(() -> gw.reload(base(upstream.address()) + plugin("bad", bad) + route("")))
          .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
              .anySatisfy(err -> {
                assertThat(err.object()).isEqualTo("Plugin/bad");
                assertThat(err.field()).isEqualTo("spec.jar");
                assertThat(err.message()).contains(bad.toString());
              }));
    }
  }

  @Test
  void refusesARouteThatNamesAMissingPluginOrKind() throws Exception {
    assertThatThrownBy(() -> gw.reload(base(upstream.address()) + route(STAMP)))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(ConfigError::toString)
            .anySatisfy(m -> assertThat(m).contains("Route/stamped: spec.filters[0].kind: Plugin 'acme' does not exist")));
    assertThatThrownBy(() -> gw.reload(config(v1, "- kind: acme/nope")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(ConfigError::toString)
            .anySatisfy(m -> assertThat(m).contains("spec.filters[0].kind: Plugin 'acme' provides no filter kind 'nope'; expected one of acme/stamp")));
  }
}
