package io.sluice.store.internal;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.store.Applied;
import io.sluice.store.Change;
import io.sluice.store.ChangeSet;
import io.sluice.store.ObjectChange;
import io.sluice.store.ObjectChange.Op;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreConflictException.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What a change set does to the current objects: preconditions checked, the resulting configuration
 * validated (with the outcome of validating it as a whole, see {@link ConfigSet#with}), nothing
 * written. The semantics of {@link io.sluice.store.ConfigStore#apply} in one place, so that every
 * store implements them alike.
 *
 * @param revision the store revision the change set was checked against
 * @param changes one per change, in dependency order; {@code after} objects in their stored form at
 *     {@code revision + 1}
 * @param after the store's objects once the plan is applied, in their stored form: {@code current}
 *     itself when the plan changes nothing
 */
public record ChangePlan(long revision, List<ObjectChange> changes, Current after) {

  /**
   * The objects of a store at one revision, in their stored form. Immutable and thread-safe.
   *
   * <p>They normally form a valid configuration ({@link Valid}): every change set was validated
   * before it was written. Objects that do not ({@link Invalid}: written under other validation
   * rules, such as with filter kinds this process does not know, or damaged) are still held and
   * read, and a change set is then validated with them as a whole, so that it can repair them.
   */
  public sealed interface Current {
    long revision();

    /** Every object, in dependency order. */
    List<ConfigObject<?>> objects();

    /** The object of {@code ref}'s kind and name, or null when there is none. */
    @Nullable ConfigObject<?> get(ObjectRef ref);

    /**
     * Objects read from a store: {@link Valid} when they form a valid configuration under
     * {@code paths}, else {@link Invalid}; change sets are then validated under {@code paths}.
     */
    static Current of(long revision, List<ConfigObject<?>> objects, PathPolicy paths) {
      try {
        return new Valid(revision, ConfigSet.of(objects, paths));
      } catch (ConfigException e) {
        Map<ObjectRef, ConfigObject<?>> byRef = new HashMap<>();
        for (ConfigObject<?> o : objects) byRef.put(ObjectRef.of(o), o);
        List<ConfigObject<?>> ordered = new ArrayList<>(objects);
        ordered.sort(Comparator.comparing(ObjectRef::of));
        return new Invalid(revision, List.copyOf(ordered), Map.copyOf(byRef), paths);
      }
    }
  }

  /** Objects that form a valid configuration. */
  public record Valid(long revision, ConfigSet configuration) implements Current {
    @Override
    public List<ConfigObject<?>> objects() {
      return configuration.all();
    }

    @Override
    public @Nullable ConfigObject<?> get(ObjectRef ref) {
      return configuration.get(ref);
    }
  }

  /**
   * Objects that do not form a valid configuration, in dependency order and by ref; {@code paths}
   * is what a change set is validated under.
   */
  public record Invalid(long revision, List<ConfigObject<?>> objects, Map<ObjectRef, ConfigObject<?>> byRef,
      PathPolicy paths) implements Current {
    @Override
    public @Nullable ConfigObject<?> get(ObjectRef ref) {
      return byRef.get(ref);
    }
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
    Conflicts conflicts = new Conflicts();
    long base = changeSet.baseRevision();
    if (base > revision) {
      conflicts.add(Reason.REVISION_MISMATCH, "base revision " + base + " is ahead of the store's revision " + revision);
    }
    Map<ObjectRef, ObjectChange> changes = new TreeMap<>();
    for (Change change : changeSet.changes()) {
      ObjectRef ref = change.ref();
      ConfigObject<?> stored = current.get(ref);
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
            conflicts.add(Reason.REVISION_MISMATCH, ref + " does not exist, expected it at revision " + expected
                + ": it was deleted since it was read; drop metadata.revision to create it again");
          } else if (expected > 0 && stored != null && stored.metadata().revision() != expected) {
            // Usually an exported object applied later: say how to proceed, not only what failed.
            conflicts.add(Reason.REVISION_MISMATCH, ref + ": metadata.revision " + expected + " is not the current revision "
                + stored.metadata().revision() + ": the object changed since it was read; drop metadata.revision to overwrite,"
                + " or get it again");
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
      return new ChangePlan(revision, ordered, current);
    }

    // Puts as sent, so that an error in one names the source it came from; the plan holds them in
    // their stored form.
    List<ConfigObject<?>> puts = new ArrayList<>();
    List<ConfigObject<?>> storedPuts = new ArrayList<>();
    List<ObjectRef> deletes = new ArrayList<>();
    for (Change change : changeSet.changes()) {
      ObjectChange c = Objects.requireNonNull(changes.get(change.ref()), "no planned change for " + change.ref());
      switch (c.op()) {
        case CREATED, UPDATED -> {
          puts.add(((Change.Put) change).object());
          storedPuts.add(c.after());
        }
        case DELETED -> deletes.add(c.ref());
        case UNCHANGED -> {}
      }
    }
    if (!deletes.isEmpty()) refusedDeletes(changes, current, puts);
    ConfigSet valid = switch (current) {
      case Valid v -> v.configuration().with(puts, deletes);
      case Invalid i -> ConfigSet.of(remaining(i, changes, puts), i.paths());
    };
    return new ChangePlan(revision, ordered, new Valid(next, valid.restamped(storedPuts)));
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

  /**
   * The objects {@code current} has once {@code changes} are applied: those it does not change as
   * stored, then {@code puts} as sent.
   */
  private static List<ConfigObject<?>> remaining(Current current, Map<ObjectRef, ObjectChange> changes,
      List<ConfigObject<?>> puts) {
    List<ConfigObject<?>> remaining = new ArrayList<>(current.objects().size() + puts.size());
    for (ConfigObject<?> o : current.objects()) {
      ObjectChange c = changes.get(ObjectRef.of(o));
      if (c == null || c.op() == Op.UNCHANGED) remaining.add(o);
    }
    remaining.addAll(puts);
    return remaining;
  }

  /**
   * Refuses deleting an object that one of the remaining objects still refers to, naming every
   * referrer. Reads every remaining object's references, hence only called when something is deleted.
   */
  private static void refusedDeletes(Map<ObjectRef, ObjectChange> changes, Current current, List<ConfigObject<?>> puts)
      throws StoreConflictException {
    Map<ObjectRef, TreeSet<ObjectRef>> referrers = new TreeMap<>();
    for (ObjectChange c : changes.values()) {
      if (c.op() == Op.DELETED) referrers.put(c.ref(), new TreeSet<>());
    }
    for (ConfigObject<?> o : remaining(current, changes, puts)) {
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
