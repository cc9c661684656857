package io.sluice.store;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where the configuration lives: a versioned set of objects (DESIGN §3). Every implementation
 * (embedded SQLite, etcd, Kubernetes) has the same semantics, pinned down by the contract test
 * suite {@code ConfigStoreContract} in this module's tests:
 *
 * <ul>
 *   <li><b>Revisions.</b> Every applied change set gets the next revision, one more than the
 *       last; every stored object carries the revision of its last change in
 *       {@code metadata.revision}. A change set that changes nothing (every put equal to what is
 *       stored) creates no revision.
 *   <li><b>Atomic, validated change sets.</b> {@link #apply} validates the configuration the change
 *       set would produce as a whole ({@link io.sluice.api.ConfigSet#of}); if anything is wrong
 *       nothing is written. Deleting an object that another object still refers to is a
 *       {@link StoreConflictException} naming the referrers.
 *   <li><b>Compare-and-set.</b> A put whose object carries {@code metadata.revision > 0} applies
 *       only if the stored object is at that revision; {@link Change#create} requires absence;
 *       {@link ChangeSet#baseRevision()} requires that no object the change set touches changed
 *       after that revision. A failed precondition fails the whole change set.
 *   <li><b>Snapshot + watch without a gap.</b> {@link #snapshot()} returns every object at one
 *       revision R; {@link #watch(long, WatchListener)} from R delivers every later revision, in
 *       order, each exactly once, each as one event holding all of its changes.
 *   <li><b>History.</b> Every version of every object is kept, deletions included. Rollback is a
 *       new revision that restores an earlier state; history is never rewritten.
 * </ul>
 *
 * <p>Threading: all methods are thread-safe and may block on I/O; call them off event loops.
 *
 * <p>Failures of the store itself (I/O, a backend that cannot be reached) are {@link StoreException}s.
 */
public interface ConfigStore extends AutoCloseable {

  /** The latest revision; 0 for a store that has never been written. */
  long revision();

  /** Every object at the latest revision, in dependency order. */
  Snapshot snapshot();

  /**
   * Every object as it was at {@code revision} (0 gives an empty snapshot).
   *
   * @throws IllegalArgumentException when {@code revision} is negative or greater than {@link #revision()}
   */
  Snapshot snapshotAt(long revision);

  /** The object as stored now, with {@code metadata.revision} set, or null when there is none. */
  @Nullable ConfigObject<?> get(ObjectRef ref);

  /**
   * Applies {@code changes} atomically as one new revision.
   *
   * @return what changed and the revision it got; {@link Applied#revision()} is the current revision,
   *     unchanged, when the change set changed nothing
   * @throws ConfigException when the resulting configuration would be invalid (nothing is written)
   * @throws StoreConflictException when a precondition fails or a deleted object is still referred to
   */
  Applied apply(ChangeSet changes) throws ConfigException, StoreConflictException;

  /**
   * Checks {@code changes} exactly as {@link #apply} does and returns what it would change, without
   * writing anything. {@link Applied#revision()} is the revision the change set was checked against;
   * the {@code after} objects carry the revision an apply would give them (one more), so that an
   * apply with no change in between returns equal {@link Applied#changes()}.
   */
  Applied dryRun(ChangeSet changes) throws ConfigException, StoreConflictException;

  /** Every version of the object, oldest first, deletions included; empty when it never existed. */
  List<HistoryEntry> history(ObjectRef ref);

  /**
   * The revisions after {@code afterRevision}, oldest first, at most {@code limit} of them; each
   * names the objects it touched in dependency order.
   *
   * @throws IllegalArgumentException when {@code afterRevision} is negative or {@code limit} is not positive
   */
  List<RevisionInfo> revisions(long afterRevision, int limit);

  /**
   * Delivers every revision after {@code afterRevision} to {@code listener}, in order, starting with
   * those already stored, then each new one as it is applied. Events are delivered on a thread of
   * the store's, one at a time per watch; a slow listener delays only its own watch.
   *
   * <p>The watch ends when it is closed (nothing more is delivered, no {@code onError}), when the
   * listener throws (then {@link WatchListener#onError} gets what it threw), when the store is
   * closed ({@code onError} gets an {@link IllegalStateException}) or when the store fails
   * ({@code onError} gets a {@link StoreException}). A listener must not block for long: closing the
   * store waits for events being delivered.
   *
   * @throws IllegalArgumentException when {@code afterRevision} is negative or in the future
   */
  Watch watch(long afterRevision, WatchListener listener);

  /**
   * Restores {@code ref} to its state at {@code revision} as a new revision by {@code author}:
   * changes it back, recreates it when it was deleted since, or deletes it when it did not exist
   * then (deleted by then, or not yet created). When the object is already in that state nothing
   * is written and the one change is {@code UNCHANGED}. The restored object is validated and
   * checked for references like any other change; a concurrent change of the object makes it fail
   * with {@link StoreConflictException.Reason#REVISION_MISMATCH}.
   *
   * @throws IllegalArgumentException when the object has no history at all, or {@code revision}
   *     is negative or greater than {@link #revision()}
   */
  default Applied rollback(ObjectRef ref, long revision, String author) throws ConfigException, StoreConflictException {
    long current = revision();
    if (revision < 0 || revision > current) {
      throw new IllegalArgumentException("revision must be from 0 to " + current + ", got " + revision);
    }
    List<HistoryEntry> history = history(ref);
    if (history.isEmpty()) throw new IllegalArgumentException(ref + " has no history: it never existed");
    ConfigObject<?> then = null;
    for (HistoryEntry h : history) {
      if (h.revision() <= revision) then = h.object();
    }
    // Based on the revision the history was read at: a concurrent change of the object fails the rollback.
    ChangeSet.Builder b = ChangeSet.builder().author(author).message("rollback " + ref + " to revision " + revision)
        .baseRevision(current);
    if (then != null) {
      b.put(withoutRevision(then));
    } else if (get(ref) != null) {
      b.delete(ref);
    } else {
      return new Applied(current, List.of(new ObjectChange(ref, ObjectChange.Op.UNCHANGED, null, null)));
    }
    return apply(b.build());
  }

  private static <S extends io.sluice.api.Spec> ConfigObject<S> withoutRevision(ConfigObject<S> o) {
    return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata().withRevision(0), o.spec(), o.source());
  }

  /**
   * The change requests kept beside this configuration (README "Review changes"): in the same
   * database or etcd prefix, so that every node that reads this configuration sees them.
   */
  io.sluice.store.changes.ChangeRequests changeRequests();

  /**
   * Closes the store: running watches end (see {@link #watch}), later calls fail with
   * {@link IllegalStateException}. Idempotent.
   */
  @Override
  void close();
}
