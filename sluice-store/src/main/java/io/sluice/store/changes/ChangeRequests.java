package io.sluice.store.changes;

import io.sluice.store.StoreConflictException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a store keeps its {@link ChangeRequest}s, beside the configuration (the same SQLite database,
 * the same etcd prefix), so that every node of a fleet sees the same ones. Every write is one
 * transaction: a change request is created whole with the next id, and an update replaces it only if
 * nobody wrote it since it was read.
 *
 * <p>Thread-safe; every method may block on the store. Failures of the store are
 * {@link io.sluice.store.StoreException}s.
 */
public interface ChangeRequests {
  /**
   * Stores {@code proposed} (id and version 0) as the next change request.
   *
   * @return it with its id (one more than the highest so far, from 1) and version 1
   * @throws IllegalArgumentException when {@code proposed} already has an id or a version
   */
  ChangeRequest create(ChangeRequest proposed);

  /** Change request {@code id}, or null when there is none. */
  @Nullable ChangeRequest get(long id);

  /** Every change request, by id. */
  List<ChangeRequest> list();

  /**
   * Replaces the stored change request {@code changed.id()} with {@code changed}, if it is still at
   * {@code changed.version()}.
   *
   * @return {@code changed} at the next version
   * @throws StoreConflictException {@code NOT_FOUND} when there is no such change request,
   *     {@code REVISION_MISMATCH} when it was written since {@code changed}'s version was read
   */
  ChangeRequest update(ChangeRequest changed) throws StoreConflictException;
}
