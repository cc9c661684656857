package io.sluice.store.sqlite;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.api.validate.PathPolicy;
import io.sluice.store.Applied;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.HistoryEntry;
import io.sluice.store.ObjectChange;
import io.sluice.store.RevisionInfo;
import io.sluice.store.Snapshot;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import io.sluice.store.WatchListener;
import io.sluice.store.internal.ChangePlan;
import io.sluice.store.sqlite.internal.Database;
import io.sluice.store.sqlite.internal.DirectoryLock;
import io.sluice.store.internal.EventLog;
import io.sluice.store.internal.WatchDelivery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The embedded store (DESIGN §3): one SQLite database, {@code sluice.db}, in a data directory that
 * one process at a time may open ({@code sluice.lock}).
 *
 * <p>Every revision is one transaction, synced before {@link #apply} returns (WAL journal,
 * {@code synchronous=FULL}): an acknowledged revision survives a killed process and a power loss, and
 * a revision is either wholly there or not at all. The current objects are also held in memory, as
 * an immutable, validated {@link io.sluice.api.ConfigSet} replaced on each commit, so
 * {@link #snapshot()} and {@link #get} never touch the database, and validating a change set
 * neither decodes the stored objects again nor, for a change of only Routes, validates the objects
 * it does not change ({@link io.sluice.api.ConfigSet#with}). Applies are serialized; reads are not
 * blocked by them.
 *
 * <p>Stored objects carry a source naming their version, e.g. {@code store:Route/orders@12}.
 */
public final class SqliteConfigStore implements ConfigStore {
  /** The database file in the data directory. */
  public static final String DATABASE_FILE = "sluice.db";
  /** The log directory under the data directory when the server is given none ({@code sluice serve --log-dir}). */
  public static final String DEFAULT_LOG_DIR = "logs";

  /** Recent revisions kept in memory for live watches; a watch further behind reads the database. */
  private static final int RECENT_EVENTS = 512;
  /** How long closing the store waits for each watch's listener to return. */
  private static final Duration WATCH_END_WAIT = Duration.ofSeconds(5);

  private final Path dataDir;
  private final DirectoryLock dirLock;
  private final Database db;
  private final EventLog log;
  private final io.sluice.store.sqlite.internal.SqliteChangeRequests changeRequests;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Set<WatchDelivery> watches = ConcurrentHashMap.newKeySet();
  /** The current objects; replaced whole on each commit. */
  private volatile ChangePlan.Current state;
  private volatile boolean closed;

  private SqliteConfigStore(Path dataDir, DirectoryLock dirLock, Database db, PathPolicy paths) {
    this.dataDir = dataDir;
    this.dirLock = dirLock;
    this.db = db;
    long revision = db.revision();
    this.state = ChangePlan.Current.of(revision, db.objectsAt(revision), paths);
    this.log = new EventLog(revision, RECENT_EVENTS);
    this.changeRequests = new io.sluice.store.sqlite.internal.SqliteChangeRequests(db);
  }

  /**
   * Opens the store in {@code dataDir}, creating the directory and the database when absent. The
   * files objects name are validated against the log directory {@code dataDir/logs}, as
   * {@code sluice serve} allows without {@code --log-dir}.
   *
   * @throws StoreException when another process (or another store in this one) has the directory
   *     open, when the directory cannot be created, or the database cannot be opened or read
   */
  public static SqliteConfigStore open(Path dataDir) {
    Objects.requireNonNull(dataDir, "dataDir");
    return open(dataDir, PathPolicy.logDirectory(dataDir.resolve(DEFAULT_LOG_DIR)));
  }

  /**
   * Opens the store like {@link #open(Path)}; the files objects name are validated against
   * {@code paths} (see {@link PathPolicy}), the directories the server allows.
   */
  public static SqliteConfigStore open(Path dataDir, PathPolicy paths) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(paths, "paths");
    Path dir = dataDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StoreException("cannot create the data directory " + dir + ": " + e.getMessage(), e);
    }
    DirectoryLock lock = DirectoryLock.acquire(dir);
    Database db = null;
    try {
      db = Database.open(dir.resolve(DATABASE_FILE));
      return new SqliteConfigStore(dir, lock, db, paths);
    } catch (RuntimeException e) {
      if (db != null) db.close();
      lock.close();
      throw e;
    }
  }

  /** The data directory, absolute. */
  public Path dataDir() {
    return dataDir;
  }

  @Override
  public long revision() {
    return current().revision();
  }

  @Override
  public Snapshot snapshot() {
    ChangePlan.Current s = current();
    return new Snapshot(s.revision(), s.objects());
  }

  @Override
  public Snapshot snapshotAt(long revision) {
    ChangePlan.Current s = current();
    if (revision < 0 || revision > s.revision()) {
      throw new IllegalArgumentException("revision must be from 0 to " + s.revision() + ", got " + revision);
    }
    if (revision == s.revision()) return new Snapshot(revision, s.objects());
    return new Snapshot(revision, db.objectsAt(revision));
  }

  @Override
  public @Nullable ConfigObject<?> get(ObjectRef ref) {
    Objects.requireNonNull(ref, "ref");
    return current().get(ref);
  }

  @Override
  public Applied apply(ChangeSet changes) throws ConfigException, StoreConflictException {
    Objects.requireNonNull(changes, "changes");
    writeLock.lock();
    try {
      ChangePlan.Current s = current();
      ChangePlan plan = ChangePlan.of(s, changes, db::lastChange);
      if (!plan.changesAnything()) return plan.applied();
      long revision = s.revision() + 1;
      Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      db.write(revision, time, changes.author(), changes.message(), plan.changes());
      state = plan.after();
      log.append(event(revision, time, changes.author(), plan.changes()));
      return plan.applied();
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public Applied dryRun(ChangeSet changes) throws ConfigException, StoreConflictException {
    Objects.requireNonNull(changes, "changes");
    return ChangePlan.of(current(), changes, db::lastChange).dryRun();
  }

  @Override
  public List<HistoryEntry> history(ObjectRef ref) {
    Objects.requireNonNull(ref, "ref");
    current();
    return db.history(ref);
  }

  @Override
  public List<RevisionInfo> revisions(long afterRevision, int limit) {
    if (afterRevision < 0) throw new IllegalArgumentException("afterRevision must be >= 0, got " + afterRevision);
    if (limit <= 0) throw new IllegalArgumentException("limit must be > 0, got " + limit);
    current();
    return db.revisions(afterRevision, limit);
  }

  @Override
  public Watch watch(long afterRevision, WatchListener listener) {
    Objects.requireNonNull(listener, "listener");
    ChangePlan.Current s = current();
    if (afterRevision < 0 || afterRevision > s.revision()) {
      throw new IllegalArgumentException("afterRevision must be from 0 to " + s.revision() + ", got " + afterRevision);
    }
    WatchDelivery w = new WatchDelivery(log, db::events, () -> closed, listener, watches::remove, afterRevision);
    watches.add(w);
    w.start();
    return w;
  }

  @Override
  public io.sluice.store.changes.ChangeRequests changeRequests() {
    current();
    return changeRequests;
  }

  /**
   * Closes the store: ends every watch (their listeners get {@code onError} with an
   * {@link IllegalStateException}; closing waits a few seconds at most for each to return), waits for
   * an apply in progress, closes the database and releases the data directory.
   */
  @Override
  public void close() {
    if (closed) return;
    writeLock.lock();
    try {
      if (closed) return;
      closed = true;
    } finally {
      writeLock.unlock();
    }
    log.wakeAll();
    for (WatchDelivery w : List.copyOf(watches)) w.awaitEnd(WATCH_END_WAIT);
    try {
      db.close();
    } finally {
      dirLock.close();
    }
  }

  @Override
  public String toString() {
    return "SqliteConfigStore[" + dataDir + "]";
  }

  private ChangePlan.Current current() {
    if (closed) throw new IllegalStateException("the config store in " + dataDir + " is closed");
    return state;
  }

  private static WatchEvent event(long revision, Instant time, String author, List<ObjectChange> changes) {
    return new WatchEvent(revision, time, author, changes.stream()
        .filter(c -> c.op() != ObjectChange.Op.UNCHANGED)
        .map(c -> new WatchEvent.Item(c.ref(), c.after()))
        .toList());
  }
}
