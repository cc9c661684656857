package io.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  private void write(String relative, String text) throws IOException {
    Path f = dir.resolve(relative);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
  }

  private ConfigException loadFails() {
    try {
      ConfigSet set = ConfigLoader.loadDirectory(dir);
      throw new AssertionError("expected a ConfigException, loaded " + set.all());
    } catch (ConfigException e) {
      return e;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void loadsMultiDocumentFilesRecursivelySkippingHiddenAndOtherFiles() throws Exception {
    write("listeners.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:8080}
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: admin}
        spec: {address: 127.0.0.1:9090}
        """);
    write("shop/orders.yml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: orders}
        spec: {listeners: [public], upstream: orders}
        ---
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec:
          endpoints: [{address: 10.0.0.1:8080}]
        """);
    write("shop/health.json", """
        {"apiVersion": "sluice.io/v1", "kind": "Route", "metadata": {"name": "health"},
         "spec": {"match": {"path": {"exact": "/healthz"}}, "directResponse": {"status": 204}}}
        """);
    write(".hidden.yaml", "not: [valid");
    write(".git/config.yaml", "not: [valid");
    write("shop/.orders.yaml.swp", "not: [valid");
    write("README.md", "# not config");

    ConfigSet set = ConfigLoader.loadDirectory(dir);

    assertThat(set.all()).extracting(ConfigObject::ref, ConfigObject::source).containsExactly(
        tuple("Upstream/orders", "shop/orders.yml:7"),
        tuple("Route/health", "shop/health.json:1"),
        tuple("Route/orders", "shop/orders.yml:1"),
        tuple("Listener/admin", "listeners.yaml:6"),
        tuple("Listener/public", "listeners.yaml:1"));
  }

  @Test
  void collectsTheErrorsOfTwoFilesTogether() throws Exception {
    write("a.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec:
          address: 127.0.0.1:8080
          timeouts: {idle: 60}
        """);
    write("b/c.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec:
          endpoints: [{address: 10.0.0.1:8080}]
          retryCount: 3
        """);

    assertThat(loadFails().errors()).containsExactly(
        new ConfigError("a.yaml:6", "Listener/public", "spec.timeouts.idle",
            "expected a duration such as 250ms, 5s or 1m, got '60' (a number needs a unit)"),
        new ConfigError("b/c.yaml:6", "Upstream/orders", "spec.retryCount",
            "unknown field 'retryCount' (known fields: circuitBreaker, endpoints, healthCheck, http2, loadBalancer, outlierDetection, pool, protocol, retries, timeouts, tls)"));
  }

  @Test
  void reportsValidationErrorsTogetherWithDecodingErrorsButNotDanglingReferencesToUnreadableObjects() throws Exception {
    write("routes.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: orders}
        spec:
          upstream: orders
          match: {path: {regex: '(['}}
        """);
    write("upstreams.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec:
          endpoints: [{address: 10.0.0.1:8080, weight: heavy}]
        """);

    ConfigException e = loadFails();

    assertThat(e.errors()).containsExactly(
        new ConfigError("upstreams.yaml:5", "Upstream/orders", "spec.endpoints[0].weight",
            "expected an integer, got a string 'heavy'"),
        new ConfigError("routes.yaml:6:18", "Route/orders", "spec.match.path.regex",
            "invalid regular expression '([': Unclosed character class"));
    assertThat(e.getMessage()).isEqualTo("""
        upstreams.yaml:5: Upstream/orders: spec.endpoints[0].weight: expected an integer, got a string 'heavy'
        routes.yaml:6:18: Route/orders: spec.match.path.regex: invalid regular expression '([': Unclosed character class""");
  }

  @Test
  void reportsADuplicateAcrossFilesNamingBothFiles() throws Exception {
    String upstream = """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec: {endpoints: [{address: 10.0.0.1:8080}]}
        """;
    write("a.yaml", upstream);
    write("b.yaml", "# the same again\n" + upstream);

    assertThat(loadFails().errors()).containsExactly(new ConfigError("b.yaml:4:12", "Upstream/orders", "metadata.name",
        "duplicate name: Upstream/orders is also defined in a.yaml:1"));
  }

  @Test
  void loadsADirectoryGivenThroughASymlink() throws Exception {
    write("conf/routes.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: health}
        spec:
          match:
            path: {exact: /healthz}
          directResponse: {status: 204}
        """);
    Path link = Files.createSymbolicLink(dir.resolve("current"), dir.resolve("conf"));

    assertThat(ConfigLoader.loadDirectory(link).all()).extracting(ConfigObject::ref, ConfigObject::source)
        .containsExactly(tuple("Route/health", "routes.yaml:1"));
  }

  @Test
  void loadsAnEmptyDirectoryAsAnEmptySet() throws Exception {
    assertThat(ConfigLoader.loadDirectory(dir).all()).isEmpty();
  }

  @Test
  void refusesAFileThatIsNotUtf8() throws Exception {
    Files.write(dir.resolve("latin1.yaml"), new byte[] {'a', ':', ' ', (byte) 0xE9, '\n'});

    assertThat(loadFails().errors()).containsExactly(
        new ConfigError("latin1.yaml", "?", "", "not valid UTF-8; expected a UTF-8 text file"));
  }

  @Test
  void failsWithIoExceptionForAMissingDirectory() {
    assertThatExceptionOfType(NoSuchFileException.class)
        .isThrownBy(() -> ConfigLoader.loadDirectory(dir.resolve("missing")));
  }
}
