package io.sluice.store.sqlite.internal;

import io.sluice.store.StoreConflictException;
import io.sluice.store.changes.ChangeRequest;
import io.sluice.store.changes.ChangeRequestJson;
import io.sluice.store.changes.ChangeRequests;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The embedded store's change requests: rows of the {@code change_requests} table of {@code sluice.db},
 * each write one statement (one synced transaction), an update compare-and-set on the row's version.
 * Thread-safe (the {@link Database} serializes its statements).
 */
public final class SqliteChangeRequests implements ChangeRequests {
  private final Database db;

  public SqliteChangeRequests(Database db) {
    this.db = db;
  }

  @Override
  public ChangeRequest create(ChangeRequest proposed) {
    Objects.requireNonNull(proposed, "proposed");
    if (proposed.id() != 0 || proposed.version() != 0) {
      throw new IllegalArgumentException("a new change request has id and version 0, got id " + proposed.id() + ", version " + proposed.version());
    }
    long id = db.insertChangeRequest(ChangeRequestJson.write(proposed));
    return proposed.stored(id, 1);
  }

  @Override
  public @Nullable ChangeRequest get(long id) {
    Database.ChangeRequestRow row = db.changeRequest(id);
    return row == null ? null : ChangeRequestJson.read(row.id(), row.version(), row.doc());
  }

  @Override
  public List<ChangeRequest> list() {
    return db.changeRequests().stream().map(r -> ChangeRequestJson.read(r.id(), r.version(), r.doc())).toList();
  }

  @Override
  public ChangeRequest update(ChangeRequest changed) throws StoreConflictException {
    Objects.requireNonNull(changed, "changed");
    if (db.updateChangeRequest(changed.id(), changed.version(), ChangeRequestJson.write(changed))) {
      return changed.stored(changed.id(), changed.version() + 1);
    }
    Database.ChangeRequestRow now = db.changeRequest(changed.id());
    if (now == null) {
      throw new StoreConflictException(StoreConflictException.Reason.NOT_FOUND, List.of("change request " + changed.id() + " does not exist"));
    }
    throw new StoreConflictException(StoreConflictException.Reason.REVISION_MISMATCH, List.of("change request " + changed.id()
        + " is at version " + now.version() + ", not " + changed.version() + ": it changed since it was read; read it again"));
  }
}
