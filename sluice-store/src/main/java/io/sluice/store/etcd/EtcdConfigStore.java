package io.sluice.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
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
import io.sluice.store.etcd.internal.Calls;
import io.sluice.store.etcd.internal.Keys;
import io.sluice.store.etcd.internal.Records;
import io.sluice.store.etcd.internal.Replica;
import io.sluice.store.internal.ChangePlan;
import io.sluice.store.internal.WatchDelivery;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The configuration in etcd (DESIGN §3, "Fleet mode"): every gateway of a cluster opens the same
 * prefix and serves the same revisions. The layout is in {@code etcd.internal.Keys}.
 *
 * <p><b>Revisions.</b> Sluice keeps its own gap-free revision in {@code <prefix>/revision}, not etcd's
 * (which counts every write to the whole etcd). A change set is ONE etcd transaction that compares
 * that key with the revision the change set was checked against and, only if it is unchanged, writes
 * the next revision, the objects, their history and the revision record: of two writers, one wins and
 * the other checks its change set again against the new revision (compare-and-set, preconditions and
 * validation as {@link ChangePlan} defines them) and tries once more. History and revision records
 * are written once and never changed, so {@code etcdctl compact} loses nothing Sluice promised:
 * history, snapshots at a revision, rollback and watches from any revision keep working.
 *
 * <p><b>Reads</b> ({@link #revision()}, {@link #snapshot()}, {@link #get}) are this process's copy,
 * which one etcd watch per store keeps up to date, usually within milliseconds of a write elsewhere;
 * this process's own applies are in it when {@link #apply} returns. {@link #apply} and
 * {@link #dryRun} first make sure the copy has every revision etcd has. History, revisions and older
 * snapshots are read from etcd.
 *
 * <p><b>Watches</b> are delivered like the SQLite store's: a thread per watch at the lowest priority,
 * never jetcd's threads, from the recent revisions in memory or else from etcd's revision records.
 * The store's etcd watch recovers by itself from etcd compacting past it or from etcd being away (it
 * reads the revisions it missed from the records); the store's watches just see the revisions late,
 * still in order and each once.
 *
 * <p>etcd limits a transaction to {@code --max-txn-ops} operations (128 by default) and a request to
 * {@code --max-request-bytes} (1.5 MiB): a change set writes two or three keys per object it changes,
 * plus two, so large change sets need those raised (the failure says so).
 *
 * <p>Thread-safe; every method may block on etcd, each request bounded by the connection's timeout.
 */
public final class EtcdConfigStore implements ConfigStore {
  /** How long closing the store waits for each watch's listener to return. */
  private static final Duration WATCH_END_WAIT = Duration.ofSeconds(5);
  /** How often an apply checks its change set again when other writers keep winning the revision. */
  private static final int MAX_ATTEMPTS = 100;

  private final EtcdConnection connection;
  private final Client client;
  private final Keys keys;
  private final Replica replica;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Set<WatchDelivery> watches = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private EtcdConfigStore(EtcdConnection connection, Client client, Keys keys, Replica replica) {
    this.connection = connection;
    this.client = client;
    this.keys = keys;
    this.replica = replica;
  }

  /**
   * Connects to etcd, reads the prefix's current objects and starts following it. The files objects
   * name are validated against {@code paths}, the directories the server allows.
   *
   * @throws StoreException when etcd cannot be reached or read within the connection's timeout, or
   *     the CA file cannot be read
   */
  public static EtcdConfigStore open(EtcdConnection connection, PathPolicy paths) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(paths, "paths");
    Client client = client(connection);
    try {
      Keys keys = new Keys(connection.prefix());
      Replica replica = Replica.load(client, keys, connection.timeout(), paths, connection);
      replica.start();
      return new EtcdConfigStore(connection, client, keys, replica);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** A jetcd client of {@code c}'s members, with its credentials and TLS; the caller closes it. */
  static Client client(EtcdConnection c) {
    ClientBuilder b = Client.builder().endpoints(c.endpoints()).connectTimeout(c.timeout());
    String user = c.user();
    String password = c.password();
    if (user != null && password != null) {
      b.user(ByteSequence.from(user, StandardCharsets.UTF_8)).password(ByteSequence.from(password, StandardCharsets.UTF_8));
    }
    Path ca = c.caFile();
    if (ca != null) {
      try {
        b.sslContext(ssl -> ssl.trustManager(ca.toFile()));
      } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
        throw new StoreException("cannot use the CA file " + ca + " for TLS to etcd: " + e.getMessage(), e);
      }
    }
    return b.build();
  }

  /** The etcd client, shared with this store's {@link EtcdMembership}: one connection per process. */
  Client client() {
    return client;
  }

  Keys keys() {
    return keys;
  }

  /** Where this store keeps its configuration. */
  public EtcdConnection connection() {
    return connection;
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
    // Each object's latest version up to the revision, from the history keys (decoding only those).
    GetResponse r = get(keys.history(), GetOption.builder().isPrefix(true).build(), "reading the history for revision " + revision);
    String historyPrefix = keys.history().toString(StandardCharsets.UTF_8);
    Map<ObjectRef, KeyValue> latest = new HashMap<>();
    for (KeyValue kv : r.getKvs()) {
      if (Keys.revisionOf(kv.getKey()) > revision) continue;
      // Keys are in revision order per object: a later one replaces an earlier one.
      latest.put(Records.refOf(kv, historyPrefix), kv);
    }
    List<ConfigObject<?>> objects = new ArrayList<>();
    for (Map.Entry<ObjectRef, KeyValue> e : latest.entrySet()) {
      ConfigObject<?> o = Records.history(e.getValue(), e.getKey()).object();
      if (o != null) objects.add(o);
    }
    objects.sort(Comparator.comparing(ObjectRef::of));
    return new Snapshot(revision, objects);
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
      current();
      catchUpIfBehind();
      for (int attempt = 1; ; attempt++) {
        ChangePlan.Current s = current();
        ChangePlan plan = ChangePlan.of(s, changes, this::lastChange);
        if (!plan.changesAnything()) return plan.applied();
        long revision = s.revision() + 1;
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        WatchEvent event = event(revision, time, changes.author(), plan.changes());
        if (commit(s.revision(), event, changes.message(), plan.changes())) {
          replica.advance(event, plan.after());
          return plan.applied();
        }
        // Another writer took the revision: check the change set again against what it wrote.
        if (attempt == MAX_ATTEMPTS) {
          throw new StoreException("other writers took every revision for " + MAX_ATTEMPTS + " attempts to apply; nothing was written");
        }
        replica.catchUp();
      }
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public Applied dryRun(ChangeSet changes) throws ConfigException, StoreConflictException {
    Objects.requireNonNull(changes, "changes");
    current();
    catchUpIfBehind();
    return ChangePlan.of(current(), changes, this::lastChange).dryRun();
  }

  @Override
  public List<HistoryEntry> history(ObjectRef ref) {
    Objects.requireNonNull(ref, "ref");
    current();
    GetResponse r = get(keys.history(ref), GetOption.builder().isPrefix(true).build(), "reading the history of " + ref);
    return r.getKvs().stream().map(kv -> Records.history(kv, ref)).toList();
  }

  @Override
  public List<RevisionInfo> revisions(long afterRevision, int limit) {
    if (afterRevision < 0) throw new IllegalArgumentException("afterRevision must be >= 0, got " + afterRevision);
    if (limit <= 0) throw new IllegalArgumentException("limit must be > 0, got " + limit);
    current();
    GetResponse r = get(keys.revisionRecord(afterRevision + 1), GetOption.builder().withRange(Keys.rangeEnd(keys.revisions()))
        .withLimit(limit).build(), "reading the revisions after " + afterRevision);
    return r.getKvs().stream().map(Records::info).toList();
  }

  @Override
  public Watch watch(long afterRevision, WatchListener listener) {
    Objects.requireNonNull(listener, "listener");
    ChangePlan.Current s = current();
    if (afterRevision < 0 || afterRevision > s.revision()) {
      throw new IllegalArgumentException("afterRevision must be from 0 to " + s.revision() + ", got " + afterRevision);
    }
    WatchDelivery w = new WatchDelivery(replica.events(), this::events, () -> closed, listener, watches::remove, afterRevision);
    watches.add(w);
    w.start();
    return w;
  }

  @Override
  public io.sluice.store.changes.ChangeRequests changeRequests() {
    current();
    return new io.sluice.store.etcd.internal.EtcdChangeRequests(client, keys, connection.timeout(), connection.url());
  }

  /**
   * Closes the store: ends every watch (their listeners get {@code onError} with an
   * {@link IllegalStateException}; closing waits a few seconds at most for each to return), waits for
   * an apply in progress, stops following etcd and closes the connection.
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
    replica.events().wakeAll();
    for (WatchDelivery w : List.copyOf(watches)) w.awaitEnd(WATCH_END_WAIT);
    try {
      replica.close();
    } finally {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "EtcdConfigStore[" + connection + "]";
  }

  private ChangePlan.Current current() {
    if (closed) throw new IllegalStateException("the config store at " + connection.url() + " is closed");
    return replica.current();
  }

  /** Another writer may have written revisions this copy has not seen yet: read them first. */
  private void catchUpIfBehind() {
    if (replica.storedRevision() > replica.current().revision()) replica.catchUp();
  }

  /**
   * Writes revision {@code base + 1} in one transaction, if etcd is still at {@code base}.
   *
   * @return false when another writer took the revision first (nothing was written)
   */
  private boolean commit(long base, WatchEvent event, String message, List<ObjectChange> changes) {
    long revision = event.revision();
    List<Op> ops = new ArrayList<>();
    ops.add(Op.put(keys.revision(), Replica.revisionValue(revision), PutOption.DEFAULT));
    ops.add(Op.put(keys.revisionRecord(revision), Records.revision(event, message), PutOption.DEFAULT));
    for (ObjectChange c : changes) {
      ConfigObject<?> after = c.after();
      switch (c.op()) {
        case UNCHANGED -> {
          continue;
        }
        case CREATED, UPDATED -> ops.add(Op.put(keys.object(c.ref()), Records.current(Objects.requireNonNull(after)), PutOption.DEFAULT));
        case DELETED -> ops.add(Op.delete(keys.object(c.ref()), DeleteOption.DEFAULT));
      }
      ops.add(Op.put(keys.history(c.ref(), revision), Records.version(revision, event.time(), event.author(), message, after),
          PutOption.DEFAULT));
    }
    Cmp unchanged = base == 0
        ? new Cmp(keys.revision(), Cmp.Op.EQUAL, CmpTarget.version(0))
        : new Cmp(keys.revision(), Cmp.Op.EQUAL, CmpTarget.value(Replica.revisionValue(base)));
    TxnResponse r;
    try {
      r = Calls.await(client.getKVClient().txn().If(unchanged).Then(ops.toArray(Op[]::new)).commit(), connection.timeout(),
          "writing revision " + revision, connection);
    } catch (StoreException e) {
      String why = String.valueOf(e.getMessage());
      if (why.contains("too many operations") || why.contains("request is too large")) {
        throw new StoreException(why + " (the change set writes " + ops.size() + " keys in one transaction: raise etcd's"
            + " --max-txn-ops and --max-request-bytes, or apply it in parts); nothing was written", e);
      }
      if (why.contains("PERMISSION_DENIED") && connection.user() != null) {
        // A fleet's data-plane users may only read the prefix (README "Run a fleet"): say so, not just gRPC's status.
        throw new StoreException("etcd user " + connection.user() + " may not write the configuration under "
            + connection.prefix() + " (" + why + "); nothing was written. Write through a node whose etcd user may,"
            + " such as the control plane", e);
      }
      throw e;
    }
    return r.isSucceeded();
  }

  /** The revision of the last change of {@code ref} (its deletion, when it is not current); 0 if none. */
  private long lastChange(ObjectRef ref) {
    GetResponse r = get(keys.history(ref), GetOption.builder().isPrefix(true).withKeysOnly(true).withLimit(1)
        .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.DESCEND).build(), "reading the history of " + ref);
    return r.getKvs().isEmpty() ? 0 : Keys.revisionOf(r.getKvs().getFirst().getKey());
  }

  /** For watches behind the recent revisions in memory: revision records from etcd, up to the copy's revision. */
  private List<WatchEvent> events(long from, int count) {
    long last = replica.events().lastRevision();
    long n = Math.min(count, last - from + 1);
    if (n <= 0) return List.of();
    GetResponse r = get(keys.revisionRecord(from), GetOption.builder().withRange(Keys.rangeEnd(keys.revisions())).withLimit(n).build(),
        "reading revisions from " + from);
    return r.getKvs().stream().map(Records::event).toList();
  }

  private GetResponse get(ByteSequence key, GetOption option, String what) {
    return Calls.await(client.getKVClient().get(key, option), connection.timeout(), what, connection);
  }

  private static WatchEvent event(long revision, Instant time, String author, List<ObjectChange> changes) {
    return new WatchEvent(revision, time, author, changes.stream()
        .filter(c -> c.op() != ObjectChange.Op.UNCHANGED)
        .map(c -> new WatchEvent.Item(c.ref(), c.after()))
        .toList());
  }
}
