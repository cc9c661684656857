package io.sluice.server.cache;

import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.store.Applied;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.HistoryEntry;
import io.sluice.store.RevisionInfo;
import io.sluice.store.Snapshot;
import io.sluice.store.StoreException;
import io.sluice.store.Watch;
import io.sluice.store.WatchListener;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The store as the admin API sees it on a node that started from its {@link LastApplied} cache: until
 * the real store answers, reads are the cached revision's and everything else (writes, history,
 * watches) fails with a {@link StoreException} saying the store is unreachable (the admin API answers
 * 503); once {@link #connect} hands it the real store, every call goes there.
 *
 * <p>Thread-safe: {@link #connect} may run on any thread while others read.
 */
public final class CachedStore implements ConfigStore {
  private final LastApplied.Cached cached;
  private final String storeName;
  private final Supplier<String> why;
  private volatile @Nullable ConfigStore real;
  private volatile boolean closed;

  /**
   * @param cached what the node serves until the store answers
   * @param storeName the store's URL, for messages
   * @param why why the store cannot be reached now, for messages
   */
  public CachedStore(LastApplied.Cached cached, String storeName, Supplier<String> why) {
    this.cached = Objects.requireNonNull(cached, "cached");
    this.storeName = Objects.requireNonNull(storeName, "storeName");
    this.why = Objects.requireNonNull(why, "why");
  }

  /** From now on every call goes to {@code store}, which {@link #close()} then closes. */
  public void connect(ConfigStore store) {
    real = Objects.requireNonNull(store, "store");
    if (closed) store.close();
  }

  /** The real store, or null while the node serves from its cache. */
  public @Nullable ConfigStore connected() {
    return real;
  }

  private StoreException unreachable() {
    return new StoreException("the store " + storeName + " cannot be reached (" + why.get() + "); this node serves its local"
        + " cache of revision " + cached.revision() + " and can change nothing until the store answers");
  }

  private @Nullable ConfigStore store() {
    if (closed) throw new IllegalStateException("the store " + storeName + " is closed");
    return real;
  }

  @Override
  public long revision() {
    ConfigStore s = store();
    return s != null ? s.revision() : cached.revision();
  }

  @Override
  public Snapshot snapshot() {
    ConfigStore s = store();
    return s != null ? s.snapshot() : new Snapshot(cached.revision(), cached.objects());
  }

  @Override
  public Snapshot snapshotAt(long revision) {
    ConfigStore s = store();
    if (s != null) return s.snapshotAt(revision);
    if (revision == cached.revision()) return snapshot();
    throw unreachable();
  }

  @Override
  public @Nullable ConfigObject<?> get(ObjectRef ref) {
    ConfigStore s = store();
    if (s != null) return s.get(ref);
    for (ConfigObject<?> o : cached.objects()) {
      if (ObjectRef.of(o).equals(ref)) return o;
    }
    return null;
  }

  @Override
  public Applied apply(ChangeSet changes) throws io.sluice.api.ConfigException, io.sluice.store.StoreConflictException {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.apply(changes);
  }

  @Override
  public Applied dryRun(ChangeSet changes) throws io.sluice.api.ConfigException, io.sluice.store.StoreConflictException {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.dryRun(changes);
  }

  @Override
  public List<HistoryEntry> history(ObjectRef ref) {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.history(ref);
  }

  @Override
  public List<RevisionInfo> revisions(long afterRevision, int limit) {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.revisions(afterRevision, limit);
  }

  @Override
  public Watch watch(long afterRevision, WatchListener listener) {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.watch(afterRevision, listener);
  }

  @Override
  public Applied rollback(ObjectRef ref, long revision, String author)
      throws io.sluice.api.ConfigException, io.sluice.store.StoreConflictException {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.rollback(ref, revision, author);
  }

  @Override
  public io.sluice.store.changes.ChangeRequests changeRequests() {
    ConfigStore s = store();
    if (s == null) throw unreachable();
    return s.changeRequests();
  }

  @Override
  public void close() {
    closed = true;
    ConfigStore s = real;
    if (s != null) s.close();
  }

  @Override
  public String toString() {
    ConfigStore s = real;
    return s != null ? s.toString() : "CachedStore[" + storeName + " at cached revision " + cached.revision() + "]";
  }
}
