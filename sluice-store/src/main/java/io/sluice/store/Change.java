package io.sluice.store;

import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import java.util.Objects;

/** One change in a {@link ChangeSet}: put an object, or delete one. */
public sealed interface Change {
  ObjectRef ref();

  /**
   * Creates or replaces {@code object}. When {@code object.metadata().revision() > 0} the stored
   * object must be at that revision; when {@code mustNotExist} no object of that kind and name may
   * be stored.
   */
  record Put(ConfigObject<?> object, boolean mustNotExist) implements Change {
    public Put {
      Objects.requireNonNull(object, "object");
    }

    @Override
    public ObjectRef ref() {
      return ObjectRef.of(object);
    }
  }

  /**
   * Deletes the object; it must exist. When {@code expectedRevision > 0} it must be at that
   * revision.
   */
  record Delete(ObjectRef ref, long expectedRevision) implements Change {
    public Delete {
      Objects.requireNonNull(ref, "ref");
      if (expectedRevision < 0) throw new IllegalArgumentException("expectedRevision must be >= 0, got " + expectedRevision);
    }
  }

  /** Creates or replaces {@code object} (compare-and-set when it carries a revision). */
  static Change put(ConfigObject<?> object) {
    return new Put(object, false);
  }

  /** Creates {@code object}; fails when one of that kind and name exists. */
  static Change create(ConfigObject<?> object) {
    return new Put(object, true);
  }

  static Change delete(ObjectRef ref) {
    return new Delete(ref, 0);
  }
}
