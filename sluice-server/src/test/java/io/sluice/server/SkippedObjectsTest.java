package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.proxy.Gateway;
import io.sluice.store.ChangeSet;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An object that validates but fails to compile for the data plane ({@link UncreatableFilter}) costs
 * only itself and what depends on it: the node serves the rest, reports it, and keeps following the
 * store. A real embedded store, {@link StoreSync} and gateway in one process.
 */
class SkippedObjectsTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static List<ConfigObject<?>> parse(String yaml) throws Exception {
    return ObjectCodec.readYaml("test.yaml", yaml);
  }

  private static ConfigObject<?> one(String yaml) throws Exception {
    return parse(yaml).getFirst();
  }

  private static ConfigObject<?> listener(String name, int port) throws Exception {
    return one("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: %s}
        spec: {address: 127.0.0.1:%d}
        """.formatted(name, port));
  }

  /** A route answering {@code /NAME} with NAME, with {@code extra} spec lines. */
  private static ConfigObject<?> route(String name, String extra) throws Exception {
    return one("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match: {path: {exact: /%s}}
          directResponse: {status: 200, body: %s}
        %s""".formatted(name, name, name, extra.indent(2)));
  }

  private static ConfigObject<?> pipeline(String name, String filter) throws Exception {
    return one("""
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: %s}
        spec:
          filters: [%s]
        """.formatted(name, filter));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String metrics(Gateway gateway) throws Exception {
    StringWriter out = new StringWriter();
    gateway.metrics().writePrometheus(out);
    return out.toString();
  }

  private static Map<String, String> skipped(StoreSync sync) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    sync.skipped().forEach((ref, why) -> out.put(ref.toString(), why));
    return out;
  }

  /** The port the OS picked for {@code listener} (configured on port 0). */
  private static int boundPort(Gateway gateway, String listener) {
    java.net.InetSocketAddress a = gateway.boundAddress(listener);
    assertThat(a).as("listener %s is bound", listener).isNotNull();
    return a.getPort();
  }

  @Test
  void aPipelineThatFailsToCompileIsSkippedWithItsRoutesAndLaterChangesStillReachTheDataPlane(@TempDir Path data)
      throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data);
        Gateway gateway = Gateway.start(1)) {
      store.apply(ChangeSet.builder().author("test")
          .put(listener("main", 0))
          .put(pipeline("guard", "{kind: test-uncreatable, config: {reason: boom}}"))
          .put(route("guarded", "pipeline: guard"))
          .put(route("open", ""))
          .build());
      try (StoreSync sync = new StoreSync(store, gateway)) {
        sync.start();
        int port = boundPort(gateway, "main");

        assertThat(sync.appliedRevision()).isEqualTo(1);
        assertThat(get(port, "/open").body()).isEqualTo("open");
        assertThat(get(port, "/guarded").statusCode()).isEqualTo(404);
        assertThat(skipped(sync)).containsExactly(
            Map.entry("Pipeline/guard", "Pipeline/guard: spec.filters[0]: cannot create: boom"),
            Map.entry("Route/guarded", "depends on Pipeline/guard, which failed to compile"));
        assertThat(metrics(gateway))
            .contains("sluice_config_objects_skipped{kind=\"Pipeline\",name=\"guard\"} 1\n")
            .contains("sluice_config_objects_skipped{kind=\"Route\",name=\"guarded\"} 1\n");

        store.apply(ChangeSet.builder().author("test").put(route("later", "")).build());

        await().atMost(Duration.ofSeconds(10)).until(() -> sync.appliedRevision() == 2);
        assertThat(get(port, "/later").body()).isEqualTo("later");
        assertThat(get(port, "/guarded").statusCode()).isEqualTo(404);
        assertThat(skipped(sync)).containsOnlyKeys("Pipeline/guard", "Route/guarded");
        assertThat(sync.failures()).isZero();

        store.apply(ChangeSet.builder().author("test")
            .put(pipeline("guard", "{kind: header, config: {response: {set: {x-guarded: 'yes'}}}}")).build());

        await().atMost(Duration.ofSeconds(10)).until(() -> sync.appliedRevision() == 3);
        HttpResponse<String> guarded = get(port, "/guarded");
        assertThat(guarded.statusCode()).isEqualTo(200);
        assertThat(guarded.body()).isEqualTo("guarded");
        assertThat(guarded.headers().firstValue("x-guarded")).hasValue("yes");
        assertThat(sync.skipped()).isEmpty();
        assertThat(metrics(gateway)).doesNotContain("sluice_config_objects_skipped{");
      }
    }
  }

  @Test
  void aNodeRestartedOnAStoreHoldingAnObjectThatFailsToCompileStartsAndServesTheRest(@TempDir Path data) throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data)) {
      store.apply(ChangeSet.builder().author("test").put(listener("main", 0)).put(route("good", "")).build());
      try (Gateway gateway = Gateway.start(1);
          StoreSync sync = new StoreSync(store, gateway)) {
        sync.start();
        store.apply(ChangeSet.builder().author("test")
            .put(route("bad", "filters: [{kind: test-uncreatable, config: {reason: no resources}}]")).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> sync.appliedRevision() == 2);
        assertThat(skipped(sync)).containsExactly(
            Map.entry("Route/bad", "Route/bad: spec.filters[0]: cannot create: no resources"));
      }

      try (Gateway gateway = Gateway.start(1);
          StoreSync sync = new StoreSync(store, gateway)) {
        sync.start();
        int port = boundPort(gateway, "main");

        assertThat(sync.appliedRevision()).isEqualTo(2);
        assertThat(get(port, "/good").body()).isEqualTo("good");
        assertThat(get(port, "/bad").statusCode()).isEqualTo(404);
        assertThat(skipped(sync)).containsExactly(
            Map.entry("Route/bad", "Route/bad: spec.filters[0]: cannot create: no resources"));
        assertThat(gateway.config().all()).extracting(ConfigObject::ref).containsExactly("Route/good", "Listener/main");
      }
    }
  }

  @Test
  void aGlobalFilterThatFailsToCompileTakesTheRoutesItGuardsAlongInsteadOfServingThemUnguarded(@TempDir Path data)
      throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data);
        Gateway gateway = Gateway.start(1)) {
      store.apply(ChangeSet.builder().author("test")
          .put(listener("a", 0))
          .put(listener("b", 0))
          .put(one("""
              apiVersion: sluice.io/v1
              kind: GlobalFilter
              metadata: {name: guard}
              spec:
                listeners: [a]
                before: [{kind: test-uncreatable, config: {reason: boom}}]
              """))
          .put(route("on-a", "listeners: [a]"))
          .put(route("on-b", "listeners: [b]"))
          .build());
      try (StoreSync sync = new StoreSync(store, gateway)) {
        sync.start();
        int a = boundPort(gateway, "a");
        int b = boundPort(gateway, "b");

        assertThat(get(a, "/on-a").statusCode()).isEqualTo(404);
        assertThat(get(b, "/on-b").body()).isEqualTo("on-b");
        // Sorted as objects are: by kind in dependency order, then by name.
        assertThat(skipped(sync)).containsExactly(
            Map.entry("Route/on-a", "depends on GlobalFilter/guard, which failed to compile"),
            Map.entry("GlobalFilter/guard", "GlobalFilter/guard: spec.before[0]: cannot create: boom"));
        assertThat(sync.skipped().keySet()).containsExactly(
            new ObjectRef(Kind.ROUTE, "on-a"), new ObjectRef(Kind.GLOBAL_FILTER, "guard"));
      }
    }
  }
}
