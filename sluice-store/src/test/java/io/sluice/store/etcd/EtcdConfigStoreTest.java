package io.sluice.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.sluice.api.ObjectRef;
import io.sluice.api.validate.PathPolicy;
import io.sluice.store.Applied;
import io.sluice.store.ConfigStore;
import io.sluice.store.ConfigStoreContract;
import io.sluice.store.HistoryEntry;
import io.sluice.store.ObjectChange.Op;
import io.sluice.store.RevisionInfo;
import io.sluice.store.StoreException;
import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import io.sluice.store.WatchListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfigStoreContract} against a real etcd (one member for the class, a fresh prefix per
 * test), and what only the etcd store has: its key layout, several writers on one prefix, etcd's
 * compaction.
 */
// Watches are held in try-with-resources only to be closed: javac's "try" lint would flag each.
@SuppressWarnings("try")
class EtcdConfigStoreTest extends ConfigStoreContract {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;
  private final List<ConfigStore> others = new ArrayList<>();
  private String prefix = "";

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(tmp.resolve("etcd"));
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  @Override
  protected ConfigStore newStore() {
    for (ConfigStore s : others) s.close();
    others.clear();
    prefix = "/sluice/test-" + PREFIXES.incrementAndGet();
    return open(EtcdConnection.parse(etcd.url(prefix)));
  }

  @AfterEach
  void closeOthers() {
    for (ConfigStore s : others) s.close();
    others.clear();
  }

  private static ConfigStore open(EtcdConnection connection) {
    return EtcdConfigStore.open(connection, PathPolicy.logDirectory(tmp.resolve("logs")));
  }

  /** Another store (another gateway of the cluster) on this test's prefix; closed after the test. */
  private ConfigStore another(EtcdConnection connection) {
    ConfigStore s = open(connection);
    others.add(s);
    return s;
  }

  private static final class Recorder implements WatchListener {
    final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(WatchEvent event) {
      events.add(event);
    }

    @Override
    public void onError(Throwable error) {
      errors.add(error);
    }

    List<Long> revisions() {
      return events.stream().map(WatchEvent::revision).toList();
    }

    void awaitRevision(long revision) {
      await().atMost(WAIT).until(() -> !events.isEmpty() && events.getLast().revision() >= revision);
    }
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void changeSetIsWrittenUnderTheClusterPrefixWithSluicesOwnRevision() throws Exception {
    apply(upstream("echo", 9001), route("orders", "echo"));
    delete(route("orders", "echo"));
    try (Client c = etcd.client()) {
      List<KeyValue> kvs = c.getKVClient().get(ByteSequence.from(prefix + "/", StandardCharsets.UTF_8),
          GetOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS).getKvs();
      assertThat(kvs).extracting(kv -> kv.getKey().toString(StandardCharsets.UTF_8)).containsExactly(
          prefix + "/history/Route/orders/00000000000000000001",
          prefix + "/history/Route/orders/00000000000000000002",
          prefix + "/history/Upstream/echo/00000000000000000001",
          prefix + "/objects/Upstream/echo",
          prefix + "/revision",
          prefix + "/revisions/00000000000000000001",
          prefix + "/revisions/00000000000000000002");
      KeyValue revision = kvs.stream().filter(kv -> kv.getKey().toString(StandardCharsets.UTF_8).endsWith("/revision"))
          .findFirst().orElseThrow();
      assertThat(revision.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("2");
      // One etcd transaction per change set: every key of revision 1 has the same etcd revision.
      assertThat(kvs.stream().filter(kv -> kv.getKey().toString(StandardCharsets.UTF_8).endsWith("0001"))
          .map(KeyValue::getModRevision).distinct()).hasSize(1);
    }
  }

  @Test
  void twoStoresOnOnePrefixNeverBothWinARevision() throws Exception {
    ConfigStore second = another(EtcdConnection.parse(etcd.url(prefix)));
    int perWriter = 20;
    Recorder seenByFirst = new Recorder();
    Recorder seenBySecond = new Recorder();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    try (Watch w1 = store.watch(0, seenByFirst); Watch w2 = second.watch(0, seenBySecond)) {
      List<Thread> writers = new ArrayList<>();
      for (ConfigStore s : List.of(store, second)) {
        String name = s == store ? "first" : "second";
        writers.add(Thread.ofPlatform().start(() -> {
          try {
            for (int i = 0; i < perWriter; i++) s.apply(changes().put(upstream(name, 10_000 + i)).build());
          } catch (Throwable e) {
            failures.add(e);
          }
        }));
      }
      for (Thread t : writers) t.join(WAIT);
      assertThat(failures).isEmpty();
      long total = 2L * perWriter;
      seenByFirst.awaitRevision(total);
      seenBySecond.awaitRevision(total);
      assertThat(seenByFirst.revisions()).isEqualTo(range(1, total));
      assertThat(seenBySecond.events).isEqualTo(seenByFirst.events);
    }
    assertThat(store.revisions(0, 100)).extracting(RevisionInfo::revision).isEqualTo(range(1, 2L * perWriter));
    await().atMost(WAIT).until(() -> second.revision() == store.revision());
    assertThat(second.snapshot()).isEqualTo(store.snapshot());
    assertThat(store.history(new ObjectRef(upstream("first", 0).kind(), "first"))).hasSize(perWriter);
  }

  @Test
  void revisionRecordDeletedByHandIsReportedAsDamageNamingTheKey() throws Exception {
    apply(upstream("a", 9001));
    try (CuttableProxy partition = new CuttableProxy(etcd.members().getFirst().clientPort())) {
      ConfigStore behind = another(EtcdConnection.parse("etcd://127.0.0.1:" + partition.port() + prefix));
      assertThat(behind.revision()).isEqualTo(1);
      partition.cut();
      apply(upstream("a", 9002));
      apply(upstream("a", 9003));
      try (Client c = etcd.client()) {
        c.getKVClient().delete(ByteSequence.from(prefix + "/revisions/00000000000000000002", StandardCharsets.UTF_8))
            .get(30, TimeUnit.SECONDS);
      }
      partition.restore();
      assertThatThrownBy(() -> behind.apply(changes().put(upstream("b", 9004)).build()))
          .isInstanceOf(StoreException.class)
          .hasMessage("the etcd key " + prefix + "/revisions/00000000000000000002 is missing, yet later revisions are there:"
              + " the store's records were changed by hand");
      assertThat(behind.revision()).isEqualTo(1);
    }
  }

  @Test
  void storeOnAThreeMemberClusterKeepsApplyingWhenAMemberStops() throws Exception {
    try (EtcdProcess cluster = EtcdProcess.start(tmp.resolve("cluster"), 3)) {
      ConfigStore s = another(EtcdConnection.parse(cluster.url("/sluice/fleet")));
      assertThat(s.apply(changes().put(upstream("a", 9001)).build()).revision()).isEqualTo(1);
      Process stopped = cluster.members().getFirst().process();
      stopped.destroy();
      assertThat(stopped.waitFor(20, TimeUnit.SECONDS)).isTrue();
      // Two of three members are a quorum: the store goes on through them.
      assertThat(s.apply(changes().put(upstream("a", 9002)).build()).revision()).isEqualTo(2);
      assertThat(s.history(ref(upstream("a", 0)))).extracting(HistoryEntry::revision).containsExactly(1L, 2L);
    }
  }

  @Test
  void historySnapshotsRollbackAndWatchesSurviveAnEtcdCompaction() throws Exception {
    apply(upstream("echo", 9001));
    apply(upstream("echo", 9002));
    apply(upstream("other", 9003));
    delete(upstream("other", 0));
    etcd.compact();

    List<HistoryEntry> h = store.history(ref(upstream("echo", 0)));
    assertThat(h).extracting(HistoryEntry::revision).containsExactly(1L, 2L);
    assertThat(h.get(0).object().spec()).isEqualTo(upstream("echo", 9001).spec());
    assertThat(store.snapshotAt(1).objects()).extracting(o -> o.ref() + "@" + o.metadata().revision()).containsExactly("Upstream/echo@1");
    assertThat(store.snapshotAt(3).objects()).extracting(o -> o.ref() + "@" + o.metadata().revision())
        .containsExactly("Upstream/echo@2", "Upstream/other@3");
    Applied rolledBack = store.rollback(ref(upstream("echo", 0)), 1, "alice");
    assertThat(rolledBack.revision()).isEqualTo(5);
    assertThat(rolledBack.changes()).extracting(c -> c.op()).containsExactly(Op.UPDATED);
    assertThat(store.get(ref(upstream("echo", 0))).spec()).isEqualTo(upstream("echo", 9001).spec());

    Recorder fromStart = new Recorder();
    try (Watch w = store.watch(0, fromStart)) {
      fromStart.awaitRevision(5);
    }
    assertThat(fromStart.revisions()).containsExactly(1L, 2L, 3L, 4L, 5L);

    // A gateway starting after the compaction reads the same configuration.
    ConfigStore later = another(EtcdConnection.parse(etcd.url(prefix)));
    assertThat(later.snapshot()).isEqualTo(store.snapshot());
    assertThat(later.revisions(0, 10)).isEqualTo(store.revisions(0, 10));
  }

  @Test
  void watchThatFellBehindAnEtcdCompactionCatchesUpWithEveryRevisionInOrder() throws Exception {
    apply(upstream("a", 9001));
    try (CuttableProxy partition = new CuttableProxy(etcd.members().getFirst().clientPort())) {
      ConfigStore cutOff = another(EtcdConnection.parse("etcd://127.0.0.1:" + partition.port() + prefix));
      Recorder r = new Recorder();
      try (Watch w = cutOff.watch(0, r)) {
        r.awaitRevision(1);
        partition.cut();
        // While this gateway cannot reach etcd, others change the configuration and etcd compacts
        // past the revision its watch had reached.
        for (int i = 2; i <= 6; i++) apply(upstream("a", 9000 + i));
        delete(upstream("a", 0));
        apply(upstream("b", 9100));
        etcd.compact();
        partition.restore();
        r.awaitRevision(8);
        assertThat(r.revisions()).isEqualTo(range(1, 8));
        assertThat(r.errors).isEmpty();
        Recorder direct = new Recorder();
        try (Watch w2 = store.watch(0, direct)) {
          direct.awaitRevision(8);
        }
        assertThat(r.events).isEqualTo(direct.events);
      }
      assertThat(cutOff.revision()).isEqualTo(8);
      assertThat(cutOff.snapshot()).isEqualTo(store.snapshot());
    }
  }
}
