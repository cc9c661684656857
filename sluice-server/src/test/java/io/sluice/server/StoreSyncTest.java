package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.proxy.Gateway;
import io.sluice.store.Applied;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.HistoryEntry;
import io.sluice.store.RevisionInfo;
import io.sluice.store.Snapshot;
import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import io.sluice.store.WatchListener;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoreSync} between a real embedded store and a real gateway, in one process. */
class StoreSyncTest {

  private static ConfigObject<?> parse(String yaml) throws Exception {
    return ObjectCodec.readYaml("test.yaml", yaml).getFirst();
  }

  private static ConfigObject<?> listener(String name, int port) throws Exception {
    return parse("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: %s}
        spec: {address: 127.0.0.1:%d}
        """.formatted(name, port));
  }

  private static ConfigObject<?> route(String name, String body) throws Exception {
    return parse("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match:
            path: {exact: /%s}
          directResponse: {status: 200, body: "%s"}
        """.formatted(name, name, body));
  }

  @Test
  void aBurstOfRevisionsFromManyWritersEndsWithTheGatewayOnTheStoresLatestState(@TempDir Path data) throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data);
        Gateway gateway = Gateway.start(1)) {
      store.apply(ChangeSet.builder().author("test").put(listener("main", 0)).build());
      try (StoreSync sync = new StoreSync(store, gateway)) {
        sync.start();
        assertThat(sync.appliedRevision()).isEqualTo(1);
        assertThat(gateway.boundAddress("main")).isNotNull();

        ExecutorService writers = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          int writer = w;
          done.add(writers.submit(() -> {
            for (int i = 0; i < 15; i++) {
              // Writer 0 ends by deleting its route; the others leave theirs at v14.
              store.apply(writer == 0 && i == 14
                  ? ChangeSet.builder().author("writer-0").delete(new ObjectRef(Kind.ROUTE, "w0")).build()
                  : ChangeSet.builder().author("writer-" + writer).put(route("w" + writer, "v" + i)).build());
            }
            return null;
          }));
        }
        for (Future<?> f : done) f.get();
        writers.shutdown();

        await().atMost(Duration.ofSeconds(20)).until(() -> sync.appliedRevision() == store.revision());
        assertThat(store.revision()).isEqualTo(61);
        assertThat(gateway.config().all().stream().map(ConfigObject::ref).toList())
            .containsExactly("Route/w1", "Route/w2", "Route/w3", "Listener/main");
        assertThat(gateway.config().routes()).allSatisfy(r -> assertThat(r.spec().directResponse().body()).isEqualTo("v14"));
        assertThat(sync.failures()).isZero();
        assertThat(sync.lastError()).isNull();
      }
    }
  }

  @Test
  void aListenerThatCannotBindIsAFailureThatKeepsThePreviousConfigAndTheNextChangeRecovers(@TempDir Path data)
      throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data);
        Gateway gateway = Gateway.start(1);
        ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      store.apply(ChangeSet.builder().author("test").put(listener("main", 0)).put(route("kept", "kept")).build());
      try (StoreSync sync = new StoreSync(store, gateway)) {
        sync.start();

        long bad = store.apply(ChangeSet.builder().author("test").put(listener("taken", taken.getLocalPort()))
            .put(route("later", "later")).build()).revision();

        await().atMost(Duration.ofSeconds(10)).until(() -> sync.failures() == 1);
        assertThat(sync.appliedRevision()).isEqualTo(1);
        assertThat(sync.lastError()).startsWith("revision " + bad + ": Listener/taken: cannot bind /127.0.0.1:" + taken.getLocalPort());
        assertThat(gateway.config().routes().stream().map(ConfigObject::name).toList()).containsExactly("kept");
        assertThat(gateway.boundAddress("main")).isNotNull();

        store.apply(ChangeSet.builder().author("test").delete(new ObjectRef(Kind.LISTENER, "taken")).build());

        await().atMost(Duration.ofSeconds(10)).until(() -> sync.appliedRevision() == store.revision());
        assertThat(gateway.config().routes().stream().map(ConfigObject::name).toList()).containsExactly("kept", "later");
        assertThat(sync.failures()).isEqualTo(1);
      }
    }
  }

  @Test
  void aStoreWhoseListenerCannotBindFailsTheStart(@TempDir Path data) throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data);
        Gateway gateway = Gateway.start(1);
        ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      store.apply(ChangeSet.builder().author("test").put(listener("main", taken.getLocalPort())).build());
      StoreSync sync = new StoreSync(store, gateway);

      assertThatThrownBy(sync::start).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("Listener/main: cannot bind /127.0.0.1:" + taken.getLocalPort());
      sync.close();
    }
  }

  private static ConfigObject<?> proxiedRoute(String name, String upstream) throws Exception {
    return parse("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match:
            path: {prefix: /%s}
          upstream: %s
        """.formatted(name, name, upstream));
  }

  private static ConfigObject<?> upstream(String name) throws Exception {
    return parse("""
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: %s}
        spec: {endpoints: [{address: 127.0.0.1:9}]}
        """.formatted(name));
  }

  /**
   * A store that serves one snapshot and plays the events the test gives it, so that it can deliver
   * a change that does not validate, which a real store refuses to write.
   */
  private static final class ScriptedStore implements ConfigStore {
    private final Snapshot snapshot;
    private volatile WatchListener listener;

    ScriptedStore(Snapshot snapshot) {
      this.snapshot = snapshot;
    }

    void event(long revision, ConfigObject<?>... puts) {
      listener.onEvent(new WatchEvent(revision, Instant.now(), "test",
          Arrays.stream(puts).map(o -> new WatchEvent.Item(ObjectRef.of(o), o)).toList()));
    }

    @Override
    public Snapshot snapshot() {
      return snapshot;
    }

    @Override
    public Watch watch(long afterRevision, WatchListener listener) {
      this.listener = listener;
      return () -> {};
    }

    @Override
    public long revision() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Snapshot snapshotAt(long revision) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ConfigObject<?> get(ObjectRef ref) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Applied apply(ChangeSet changes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Applied dryRun(ChangeSet changes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<HistoryEntry> history(ObjectRef ref) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<RevisionInfo> revisions(long afterRevision, int limit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public io.sluice.store.changes.ChangeRequests changeRequests() {
      throw new UnsupportedOperationException("StoreSync reads no change requests");
    }

    @Override
    public void close() {}
  }

  @Test
  void aStoredChangeThatDoesNotValidateIsSkippedWhileTheRestAppliesAndIsTriedAgainWithTheNextChange() throws Exception {
    ScriptedStore store = new ScriptedStore(new Snapshot(1, List.of(route("kept", "kept"))));
    try (Gateway gateway = Gateway.start(1);
        StoreSync sync = new StoreSync(store, gateway)) {
      sync.start();

      store.event(2, proxiedRoute("orders", "echo"), route("also", "also"));

      await().atMost(Duration.ofSeconds(10)).until(() -> sync.appliedRevision() == 2);
      assertThat(sync.failures()).isZero();
      assertThat(gateway.config().routes().stream().map(ConfigObject::name).toList()).containsExactly("also", "kept");
      assertThat(sync.skipped()).containsExactly(
          java.util.Map.entry(new ObjectRef(Kind.ROUTE, "orders"), "spec.upstream: Upstream 'echo' does not exist"));

      store.event(3, upstream("echo"));

      await().atMost(Duration.ofSeconds(10)).until(() -> sync.appliedRevision() == 3);
      assertThat(gateway.config().all().stream().map(ConfigObject::ref).toList())
          .containsExactly("Upstream/echo", "Route/also", "Route/kept", "Route/orders");
      assertThat(sync.skipped()).isEmpty();
      assertThat(sync.failures()).isZero();
    }
  }
}
