package io.sluice.store;

import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Changes applied together as one revision, all or nothing.
 *
 * @param changes at most one change per object
 * @param author who makes the change (an admin token's name, {@code config-dir}, ...), recorded in history
 * @param message why, recorded in history; may be empty
 * @param baseRevision when > 0, the revision the change set was prepared against: it fails if any
 *     object it touches changed after that revision
 */
public record ChangeSet(List<Change> changes, String author, String message, long baseRevision) {
  public ChangeSet {
    changes = List.copyOf(changes);
    Objects.requireNonNull(author, "author");
    Objects.requireNonNull(message, "message");
    if (baseRevision < 0) throw new IllegalArgumentException("baseRevision must be >= 0, got " + baseRevision);
    Set<ObjectRef> seen = new HashSet<>();
    for (Change c : changes) {
      if (!seen.add(c.ref())) throw new IllegalArgumentException(c.ref() + " appears more than once in the change set");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final List<Change> changes = new ArrayList<>();
    private String author = "unknown";
    private String message = "";
    private long baseRevision;

    public Builder put(ConfigObject<?> object) {
      changes.add(Change.put(object));
      return this;
    }

    public Builder create(ConfigObject<?> object) {
      changes.add(Change.create(object));
      return this;
    }

    public Builder delete(ObjectRef ref) {
      changes.add(Change.delete(ref));
      return this;
    }

    public Builder change(Change change) {
      changes.add(change);
      return this;
    }

    public Builder author(String author) {
      this.author = author;
      return this;
    }

    public Builder message(String message) {
      this.message = message;
      return this;
    }

    public Builder baseRevision(long baseRevision) {
      this.baseRevision = baseRevision;
      return this;
    }

    public ChangeSet build() {
      return new ChangeSet(changes, author, message, baseRevision);
    }
  }
}
