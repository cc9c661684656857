package io.sluice.store;

import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import org.jspecify.annotations.Nullable;

/**
 * What one change did to one object.
 *
 * @param before the object before the change (with its revision), null when it was created
 * @param after the object after the change (with the new revision), null when it was deleted
 */
public record ObjectChange(ObjectRef ref, Op op, @Nullable ConfigObject<?> before, @Nullable ConfigObject<?> after) {
  public enum Op { CREATED, UPDATED, DELETED, UNCHANGED }
}
