package io.sluice.store.internal;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.store.Applied;
import io.sluice.store.Change;
import io.sluice.store.ChangeSet;
import io.sluice.store.ObjectChange;
import io.sluice.store.ObjectChange.Op;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreConflictException.Reason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What a change set does to the current objects: preconditions checked, the resulting configuration
 * validated as a whole, nothing written. The semantics of {@link io.sluice.store.ConfigStore#apply}
 * in one place, so that every store implements them alike.
 *
 * @param revision the store revision the change set was checked against
 * @param changes one per change, in dependency order; {@code after} objects in their stored form at
 *     {@code revision + 1}
 * @param objects every object after the change set, in dependency order, in their stored form
 */
public record ChangePlan(long revision, List<ObjectChange> changes, List<ConfigObject<?>> objects) {

  /** The current objects of a store, as a plan reads them. */
  public interface Current {
    long revision();

    /** Every current object by reference, in its stored form. */
    Map<ObjectRef, ConfigObject<?>> byRef();

    /** The same objects in dependency order. */
    List<ConfigObject<?>> ordered();
  }

  /**
   * Checks {@code changeSet} against {@code current}.
   *
   * @param lastChangeOfAbsent the revision of the last change (its deletion) of an object that is not
   *     current, 0 when it never existed; only asked when the change set has a base revision
   */
  public static ChangePlan of(Current current, ChangeSet changeSet, ToLongFunction<ObjectRef> lastChangeOfAbsent)
      throws ConfigException, StoreConflictException {
    long revision = current.revision();
    long next = revision + 1;
    Map<ObjectRef, ConfigObject<?>> byRef = current.byRef();
    Conflicts conflicts = new Conflicts();
    long base = changeSet.baseRevision();
    if (base > revision) {
      conflicts.add(Reason.REVISION_MISMATCH, "base revision " + base + " is ahead of the store's revision " + revision);
    }
    Map<ObjectRef, ObjectChange> changes = new TreeMap<>();
    for (Change change : changeSet.changes()) {
      ObjectRef ref = change.ref();
      ConfigObject<?> stored = byRef.get(ref);
      if (base > 0) {
        long last = stored != null ? stored.metadata().revision() : lastChangeOfAbsent.applyAsLong(ref);
        if (last > base) {
          conflicts.add(Reason.REVISION_MISMATCH, ref + " changed at revision " + last + ", after the base revision " + base);
        }
      }
      switch (change) {
        case Change.Put put -> {
          ConfigObject<?> o = put.object();
          long expected = o.metadata().revision();
          if (put.mustNotExist() && stored != null) {
            conflicts.add(Reason.ALREADY_EXISTS, ref + " already exists (revision " + stored.metadata().revision() + ")");
          } else if (expected > 0 && stored == null) {
            conflicts.add(Reason.REVISION_MISMATCH, ref + " does not exist, expected it at revision " + expected);
          } else if (expected > 0 && stored.metadata().revision() != expected) {
            conflicts.add(Reason.REVISION_MISMATCH,
                ref + " is at revision " + stored.metadata().revision() + ", expected revision " + expected);
          }
          if (stored == null) {
            changes.put(ref, new ObjectChange(ref, Op.CREATED, null, stored(o, next)));
          } else if (sameContent(stored, o)) {
            changes.put(ref, new ObjectChange(ref, Op.UNCHANGED, stored, stored));
          } else {
            changes.put(ref, new ObjectChange(ref, Op.UPDATED, stored, stored(o, next)));
          }
        }
        case Change.Delete delete -> {
          if (stored == null) {
            conflicts.add(Reason.NOT_FOUND, ref + " does not exist");
          } else if (delete.expectedRevision() > 0 && stored.metadata().revision() != delete.expectedRevision()) {
            conflicts.add(Reason.REVISION_MISMATCH,
                ref + " is at revision " + stored.metadata().revision() + ", expected revision " + delete.expectedRevision());
          }
          changes.put(ref, new ObjectChange(ref, Op.DELETED, stored, null));
        }
      }
    }
    conflicts.throwIfAny();
    List<ObjectChange> ordered = List.copyOf(changes.values());
    if (ordered.stream().allMatch(c -> c.op() == Op.UNCHANGED)) {
      return new ChangePlan(revision, ordered, current.ordered());
    }

    // The configuration as it would be: untouched objects as stored, puts as sent (so that an error
    // in one names the source it came from).
    List<ConfigObject<?>> candidate = new ArrayList<>(byRef.size() + changes.size());
    for (ConfigObject<?> o : current.ordered()) {
      ObjectChange c = changes.get(new ObjectRef(o.kind(), o.name()));
      if (c == null || c.op() == Op.UNCHANGED) candidate.add(o);
    }
    Map<ObjectRef, ConfigObject<?>> after = new HashMap<>();
    for (Change change : changeSet.changes()) {
      ObjectChange c = changes.get(change.ref());
      if (change instanceof Change.Put put && c.op() != Op.UNCHANGED) {
        candidate.add(put.object());
        after.put(c.ref(), c.after());
      }
    }
    refusedDeletes(changes, candidate);
    ConfigSet valid = ConfigSet.of(candidate);
    List<ConfigObject<?>> objects = after.isEmpty()
        ? valid.all()
        : valid.all().stream().<ConfigObject<?>>map(o -> after.getOrDefault(new ObjectRef(o.kind(), o.name()), o)).toList();
    return new ChangePlan(revision, ordered, objects);
  }

  /** True when the change set changes at least one object (and so gets a revision). */
  public boolean changesAnything() {
    return changes.stream().anyMatch(c -> c.op() != Op.UNCHANGED);
  }

  /** The outcome as {@link io.sluice.store.ConfigStore#apply} reports it once written. */
  public Applied applied() {
    return new Applied(changesAnything() ? revision + 1 : revision, changes);
  }

  /** The outcome as {@link io.sluice.store.ConfigStore#dryRun} reports it. */
  public Applied dryRun() {
    return new Applied(revision, changes);
  }

  /** Every current object by reference once the plan is applied, from the map before it. */
  public Map<ObjectRef, ConfigObject<?>> apply(Map<ObjectRef, ConfigObject<?>> before) {
    Map<ObjectRef, ConfigObject<?>> m = new HashMap<>(before);
    for (ObjectChange c : changes) {
      switch (c.op()) {
        case CREATED, UPDATED -> m.put(c.ref(), c.after());
        case DELETED -> m.remove(c.ref());
        case UNCHANGED -> {}
      }
    }
    return m;
  }

  /**
   * An object as a store holds it: {@code metadata.revision} set, and a source naming the store
   * version it came from, e.g. {@code store:Route/orders@12}.
   */
  public static <S extends Spec> ConfigObject<S> stored(ConfigObject<S> o, long revision) {
    return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata().withRevision(revision), o.spec(),
        source(o.kind().displayName(), o.name(), revision));
  }

  /** {@code store:Route/orders@12}. */
  public static String source(String kind, String name, long revision) {
    return "store:" + kind + "/" + name + "@" + revision;
  }

  /** What an operator changes: metadata.revision and the source are bookkeeping, not content. */
  private static boolean sameContent(ConfigObject<?> stored, ConfigObject<?> o) {
    return stored.apiVersion().equals(o.apiVersion())
        && stored.metadata().labels().equals(o.metadata().labels())
        && stored.metadata().annotations().equals(o.metadata().annotations())
        && stored.spec().equals(o.spec());
  }

  /** Refuses deleting an object that one of the remaining objects still refers to, naming every referrer. */
  private static void refusedDeletes(Map<ObjectRef, ObjectChange> changes, List<ConfigObject<?>> remaining)
      throws StoreConflictException {
    Map<ObjectRef, TreeSet<ObjectRef>> referrers = new TreeMap<>();
    for (ObjectChange c : changes.values()) {
      if (c.op() == Op.DELETED) referrers.put(c.ref(), new TreeSet<>());
    }
    if (referrers.isEmpty()) return;
    for (ConfigObject<?> o : remaining) {
      for (ObjectRef r : o.spec().references()) {
        TreeSet<ObjectRef> by = referrers.get(r);
        if (by != null) by.add(new ObjectRef(o.kind(), o.name()));
      }
    }
    List<String> details = referrers.entrySet().stream()
        .filter(e -> !e.getValue().isEmpty())
        .map(e -> e.getKey() + " is referred to by "
            + e.getValue().stream().map(ObjectRef::toString).collect(Collectors.joining(", ")))
        .toList();
    if (!details.isEmpty()) throw new StoreConflictException(Reason.REFERENCED, details);
  }

  /** Every failed precondition, so that one answer names them all. */
  private static final class Conflicts {
    private @Nullable Reason first;
    private final List<String> details = new ArrayList<>();

    void add(Reason reason, String detail) {
      if (first == null) first = reason;
      details.add(detail);
    }

    void throwIfAny() throws StoreConflictException {
      if (first != null) throw new StoreConflictException(first, details);
    }
  }
}
