package io.sluice.store;

import java.util.List;

/**
 * The outcome of {@link ConfigStore#apply} or {@link ConfigStore#dryRun}.
 *
 * @param revision the revision the change set got (for a dry run or a change set that changed
 *     nothing: the store's revision it was checked against)
 * @param changes one entry per change in the change set, in dependency order; {@code UNCHANGED}
 *     entries for puts equal to what is stored
 */
public record Applied(long revision, List<ObjectChange> changes) {
  public Applied {
    changes = List.copyOf(changes);
  }

  /** True when at least one object changed. */
  public boolean changedAnything() {
    return changes.stream().anyMatch(c -> c.op() != ObjectChange.Op.UNCHANGED);
  }
}
