package io.sluice.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.ConfigStoreContract;
import io.sluice.store.HistoryEntry;
import io.sluice.store.RevisionInfo;
import io.sluice.store.Snapshot;
import io.sluice.store.StoreException;
import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

// Watches are held in try-with-resources only to be closed: javac's "try" lint would flag each.
@SuppressWarnings("try")
class SqliteConfigStoreTest extends ConfigStoreContract {
  @TempDir
  Path tmp;

  private Path dataDir() {
    return tmp.resolve("data");
  }

  @Override
  protected ConfigStore newStore() {
    return SqliteConfigStore.open(dataDir());
  }

  private void reopen() {
    store.close();
    store = SqliteConfigStore.open(dataDir());
  }

  @Test
  void openCreatesTheDataDirectoryWithAWalDatabaseHoldingRevisionsAndVersions() throws Exception {
    apply(upstream("echo", 9001));
    delete(upstream("echo", 0));
    store.close();
    Path db = dataDir().resolve(SqliteConfigStore.DATABASE_FILE);
    assertThat(db).isRegularFile();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
        assertThat(rs.getString(1)).isEqualTo("wal");
      }
      try (ResultSet rs = s.executeQuery("SELECT revision, author, message FROM revisions ORDER BY revision")) {
        List<String> rows = new ArrayList<>();
        while (rs.next()) rows.add(rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3));
        assertThat(rows).containsExactly("1 tester test", "2 tester test");
      }
      try (ResultSet rs = s.executeQuery("SELECT kind, name, revision, deleted, json IS NULL FROM versions ORDER BY revision")) {
        List<String> rows = new ArrayList<>();
        while (rs.next()) rows.add(rs.getString(1) + "/" + rs.getString(2) + "@" + rs.getLong(3) + " " + rs.getInt(4) + " " + rs.getBoolean(5));
        assertThat(rows).containsExactly("Upstream/echo@1 0 false", "Upstream/echo@2 1 true");
      }
    }
    store = SqliteConfigStore.open(dataDir());
  }

  @Test
  void storedObjectsNameTheVersionTheyCameFromAsTheirSource() throws Exception {
    apply(upstream("echo", 9001));
    apply(upstream("echo", 9002));
    assertThat(store.get(new ObjectRef(Kind.UPSTREAM, "echo")).source()).isEqualTo("store:Upstream/echo@2");
    assertThat(store.history(new ObjectRef(Kind.UPSTREAM, "echo"))).extracting(h -> h.object().source())
        .containsExactly("store:Upstream/echo@1", "store:Upstream/echo@2");
    reopen();
    assertThat(store.get(new ObjectRef(Kind.UPSTREAM, "echo")).source()).isEqualTo("store:Upstream/echo@2");
  }

  @Test
  void reopeningKeepsRevisionsHistoryAndCurrentObjects() throws Exception {
    store.apply(ChangeSet.builder().author("alice").message("start").put(upstream("echo", 9001)).put(route("r", "echo"))
        .put(listener("public", 18080)).build());
    apply(upstream("other", 9002));
    apply(upstream("echo", 9003));
    store.apply(ChangeSet.builder().author("bob").message("drop").delete(new ObjectRef(Kind.UPSTREAM, "other")).build());
    long revision = store.revision();
    Snapshot snapshot = store.snapshot();
    Snapshot earlier = store.snapshotAt(2);
    List<RevisionInfo> revisions = store.revisions(0, 100);
    List<HistoryEntry> echo = store.history(new ObjectRef(Kind.UPSTREAM, "echo"));
    List<HistoryEntry> other = store.history(new ObjectRef(Kind.UPSTREAM, "other"));

    reopen();

    assertThat(store.revision()).isEqualTo(revision).isEqualTo(4);
    assertThat(store.snapshot()).isEqualTo(snapshot);
    assertThat(store.snapshotAt(2)).isEqualTo(earlier);
    assertThat(store.revisions(0, 100)).isEqualTo(revisions);
    assertThat(store.history(new ObjectRef(Kind.UPSTREAM, "echo"))).isEqualTo(echo);
    assertThat(store.history(new ObjectRef(Kind.UPSTREAM, "other"))).isEqualTo(other);
    assertThat(store.get(new ObjectRef(Kind.ROUTE, "r"))).isEqualTo(snapshot.objects().get(1));
    assertThat(apply(upstream("next", 9004)).revision()).isEqualTo(5);
  }

  @Test
  void afterReopeningAWatchFromZeroReadsEveryRevisionFromTheDatabase() throws Exception {
    for (int i = 1; i <= 300; i++) apply(upstream("u" + (i % 7), 9000 + i));
    List<WatchEvent> before = new CopyOnWriteArrayList<>();
    try (Watch w = store.watch(0, before::add)) {
      await().until(() -> before.size() == 300);
    }
    reopen();
    List<WatchEvent> after = new CopyOnWriteArrayList<>();
    try (Watch w = store.watch(0, after::add)) {
      apply(upstream("live", 9999));
      await().until(() -> after.size() == 301);
    }
    assertThat(after.subList(0, 300)).isEqualTo(before);
    assertThat(after.getLast().revision()).isEqualTo(301);
  }

  @Test
  void secondOpenOfTheSameDataDirectoryIsRefusedNamingIt() {
    assertThatThrownBy(() -> SqliteConfigStore.open(dataDir()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("the data directory " + dataDir().toAbsolutePath() + " is in use: another sluice (process "
            + ProcessHandle.current().pid() + ")");
    // The refused open left the store that holds the directory working.
    assertThat(store.revision()).isZero();
  }

  @Test
  void closingReleasesTheDataDirectory() {
    store.close();
    store = SqliteConfigStore.open(dataDir());
    assertThat(store.revision()).isZero();
  }

  /**
   * A child process applies change sets of two objects in a loop and prints each acknowledged
   * revision; it is killed with SIGKILL in the middle of that. Every acknowledged revision must be
   * there after reopening, and every revision whole: both objects at that revision.
   */
  @Test
  void acknowledgedRevisionsSurviveAKilledProcessAndNoneIsHalfApplied() throws Exception {
    Path dir = tmp.resolve("killed");
    Path stdout = tmp.resolve("writer.out");
    Path stderr = tmp.resolve("writer.err");
    // stdout goes to a file: what the writer printed before it died stays readable after the kill.
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        DurabilityWriter.class.getName(), dir.toString())
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive() || Files.readAllLines(stdout).size() >= 60);
      assertThat(p.isAlive()).as("writer died; its stderr: %s", Files.readString(stderr)).isTrue();
      // While the writer holds the directory, this process cannot open it.
      assertThatThrownBy(() -> SqliteConfigStore.open(dir))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining(dir.toAbsolutePath() + " is in use: another sluice (process " + p.pid() + ")");
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    // The last line may be cut short by the kill: only whole lines were acknowledged.
    String out = Files.readString(stdout);
    List<Long> acknowledged = out.substring(0, out.lastIndexOf('\n') + 1).lines().map(Long::parseLong).toList();
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(60);

    try (SqliteConfigStore reopened = SqliteConfigStore.open(dir)) {
      long revision = reopened.revision();
      assertThat(revision).isGreaterThanOrEqualTo(acknowledged.getLast());
      List<HistoryEntry> a = reopened.history(new ObjectRef(Kind.UPSTREAM, "a"));
      List<HistoryEntry> b = reopened.history(new ObjectRef(Kind.UPSTREAM, "b"));
      List<Long> all = java.util.stream.LongStream.rangeClosed(1, revision).boxed().toList();
      assertThat(a).extracting(HistoryEntry::revision).isEqualTo(all);
      assertThat(b).extracting(HistoryEntry::revision).isEqualTo(all);
      assertThat(all).containsAll(acknowledged);
      for (int i = 0; i < all.size(); i++) {
        String round = Long.toString(i + 1);
        assertThat(a.get(i).object().metadata().labels().get("round")).isEqualTo(round);
        assertThat(b.get(i).object().metadata().labels().get("round")).isEqualTo(round);
      }
      for (RevisionInfo info : reopened.revisions(0, (int) revision)) {
        assertThat(info.objects()).containsExactly(new ObjectRef(Kind.UPSTREAM, "a"), new ObjectRef(Kind.UPSTREAM, "b"));
      }
      ConfigObject<?> lastA = reopened.get(new ObjectRef(Kind.UPSTREAM, "a"));
      ConfigObject<?> lastB = reopened.get(new ObjectRef(Kind.UPSTREAM, "b"));
      assertThat(lastA.metadata().revision()).isEqualTo(revision);
      assertThat(lastB.metadata().revision()).isEqualTo(revision);
      assertThat(lastA.metadata().labels()).isEqualTo(lastB.metadata().labels());
      // The store goes on from where the killed writer stopped.
      assertThat(reopened.apply(ChangeSet.builder().put(DurabilityWriter.upstream("a", 0)).build()).revision()).isEqualTo(revision + 1);
    }
  }
}
