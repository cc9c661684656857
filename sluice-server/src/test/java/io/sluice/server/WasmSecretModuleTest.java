package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.proxy.Gateway;
import io.sluice.proxy.testing.TestUpstream;
import io.sluice.store.ChangeSet;
import io.sluice.store.StoreConflictException;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code wasm} filter whose module is a Secret's key, through the real store, {@link StoreSync} and
 * the real proxy in one process: the plugin runs, a Secret with other bytes swaps it for new
 * requests, the Secret cannot be deleted while the route names it, and bad bytes are refused with
 * the field named while the running configuration serves on. The modules are sluice-wasm's test
 * fixtures {@code swap1} and {@code swap2}: the same root id, responses get {@code X-Module: v1}
 * or {@code v2}. (Requests in flight finishing on the old module: sluice-wasm's WasmHotSwapTest.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WasmSecretModuleTest {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path data;
  private SqliteConfigStore store;
  private Gateway gateway;
  private StoreSync sync;
  private TestUpstream up;

  private static String module(String name) {
    try {
      return Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of("..", "sluice-wasm", "src", "test", "wasm", name, name + ".wasm")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ConfigObject<?> parse(String yaml) throws Exception {
    return ObjectCodec.readYaml("test.yaml", yaml).getFirst();
  }

  private static ConfigObject<?> secret(String base64) throws Exception {
    return parse("""
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: plugins}
        spec:
          data:
            module.wasm: "%s"
        """.formatted(base64));
  }

  @BeforeAll
  void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "from upstream"));
    store = SqliteConfigStore.open(data);
    gateway = Gateway.start(1);
    store.apply(ChangeSet.builder().author("test")
        .put(parse("""
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: main}
            spec: {address: 127.0.0.1:0}
            """))
        .put(parse("""
            apiVersion: sluice.io/v1
            kind: Upstream
            metadata: {name: backend}
            spec:
              endpoints: [{address: "%s"}]
            """.formatted(up.address())))
        .put(secret(module("swap1")))
        .put(parse("""
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: r}
            spec:
              upstream: backend
              filters:
                - kind: wasm
                  config: {secret: {name: plugins, key: module.wasm}, rootId: swap, cpuBudget: 5s}
            """))
        .build());
    sync = new StoreSync(store, gateway);
    sync.start();
  }

  @AfterAll
  void stop() throws Exception {
    if (sync != null) sync.close();
    if (gateway != null) gateway.close();
    if (store != null) store.close();
    if (up != null) up.close();
  }

  private HttpResponse<String> get() throws Exception {
    InetSocketAddress a = Objects.requireNonNull(gateway.boundAddress("main"));
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/a")).timeout(WITHIN).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  @Test
  void theModuleInASecretRunsAndOtherBytesInTheSecretServeNewRequests() throws Exception {
    store.apply(ChangeSet.builder().author("test").put(secret(module("swap1"))).build());
    await().atMost(WITHIN).until(() -> "v1".equals(get().headers().firstValue("x-module").orElse(null)));
    HttpResponse<String> first = get();
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("from upstream");

    // Only the Secret changes: the route's filter config is the same, its module is not.
    store.apply(ChangeSet.builder().author("test").put(secret(module("swap2"))).build());
    await().atMost(WITHIN).until(() -> "v2".equals(get().headers().firstValue("x-module").orElse(null)));
    HttpResponse<String> second = get();
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(second.body()).isEqualTo("from upstream");
  }

  @Test
  void deletingTheSecretIsRefusedWhileTheRouteNamesIt() throws Exception {
    long revision = store.revision();
    assertThatThrownBy(() -> store.apply(ChangeSet.builder().author("test").delete(new ObjectRef(Kind.SECRET, "plugins")).build()))
        .isInstanceOf(StoreConflictException.class)
        .hasMessageContaining("Secret/plugins is referred to by Route/r");
    assertThat(store.revision()).isEqualTo(revision);
    assertThat(get().statusCode()).isEqualTo(200);
  }

  @Test
  void bytesThatAreNotBase64OrNotAModuleAreRefusedNamingTheFieldAndTheRunningModuleServesOn() throws Exception {
    await().atMost(WITHIN).until(() -> sync.appliedRevision() == store.revision());
    String running = get().headers().firstValue("x-module").orElseThrow();
    long revision = store.revision();

    assertThatThrownBy(() -> store.apply(ChangeSet.builder().author("test").put(secret("not*base64")).build()))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(err -> err.object() + ": " + err.field() + ": " + err.message())
            .containsExactly("Secret/plugins: spec.data.module.wasm: not base64 (Illegal base64 character 2a); expected the value's bytes in"
                + " base64 (RFC 4648), as 'base64 FILE' prints them"));

    String notWasm = Base64.getEncoder().encodeToString("not a module".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> store.apply(ChangeSet.builder().author("test").put(secret(notWasm)).build()))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.errors()).hasSize(1);
          assertThat(e.errors().getFirst().object() + ": " + e.errors().getFirst().field() + ": " + e.errors().getFirst().message())
              .startsWith("Route/r: spec.filters[0].config.secret.key: Secret 'plugins' key 'module.wasm' is not a valid WebAssembly module: ");
        });

    assertThat(store.revision()).isEqualTo(revision);
    HttpResponse<String> after = get();
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.headers().firstValue("x-module")).hasValue(running);
    assertThat(sync.failures()).isZero();
  }
}
