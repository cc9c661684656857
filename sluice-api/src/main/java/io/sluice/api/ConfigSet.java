package io.sluice.api;

import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.function.FunctionSpec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.validate.Validator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A complete, validated configuration: every reference resolves, no names or ports clash. The only
 * ways to get one are {@link #of}, which validates, and the methods that derive one set from
 * another ({@link #with}, {@link #restamped}), which validate what they change; so holding a
 * ConfigSet means holding a valid configuration. Valid under a {@link PathPolicy} ({@link #paths}):
 * the directories the files its objects name must be in, which a set passes on to the sets derived
 * from it and the gateway writes under. Immutable and thread-safe.
 *
 * <p>Objects are held in one list sorted by kind, then name ({@link #all()}); the per-kind lists are
 * views of its ranges, and {@link #get} and the lookups by name are binary searches in it.
 */
public final class ConfigSet {
  /** Kind declaration order is dependency order (see {@link Kind}); names make the order total. */
  private static final Comparator<ConfigObject<?>> DEPENDENCY_ORDER =
      Comparator.<ConfigObject<?>, Kind>comparing(ConfigObject::kind).thenComparing(ConfigObject::name);
  private static final Kind[] KINDS = Kind.values();
  /**
   * Above this many changes {@link #with} sorts the new list instead of inserting each change: every
   * insertion or removal moves the tail of the list.
   */
  private static final int MAX_INSERTIONS = 64;

  // After KINDS, which the constructor reads.
  /** No objects, under {@link PathPolicy#DEFAULT}. */
  public static final ConfigSet EMPTY = new ConfigSet(List.of(), Set.of(), PathPolicy.DEFAULT);

  private final List<ConfigObject<?>> all;
  /** {@code all.subList(start[k], start[k + 1])} holds the objects of kind ordinal {@code k}. */
  private final int[] start;
  private final List<?>[] byKind;
  /**
   * At least every Route that an object of this set refers to (only filter configs can), or null
   * until first needed; a derived set carries it on, so it may also hold Routes no longer referred to.
   * Computing it twice concurrently gives equal sets, hence no lock.
   */
  private volatile @Nullable Set<ObjectRef> routesReferredTo;
  private final PathPolicy paths;

  private ConfigSet(List<ConfigObject<?>> sorted, @Nullable Set<ObjectRef> routesReferredTo, PathPolicy paths) {
    this.all = sorted;
    this.paths = paths;
    this.start = new int[KINDS.length + 1];
    for (int k = 0; k < KINDS.length; k++) start[k] = firstOfKindAtLeast(sorted, k);
    start[KINDS.length] = sorted.size();
    this.byKind = new List<?>[KINDS.length];
    for (int k = 0; k < KINDS.length; k++) byKind[k] = sorted.subList(start[k], start[k + 1]);
    this.routesReferredTo = routesReferredTo;
  }

  /**
   * Validates {@code objects} as a whole under {@link PathPolicy#DEFAULT} and returns them as a set.
   *
   * @throws ConfigException with every error found by {@link Validator}
   */
  public static ConfigSet of(Collection<? extends ConfigObject<?>> objects) throws ConfigException {
    return of(objects, PathPolicy.DEFAULT);
  }

  /**
   * Validates {@code objects} as a whole, the files they name checked against {@code paths}, and
   * returns them as a set; the sets derived from it are validated under {@code paths} too.
   *
   * @throws ConfigException with every error found by {@link Validator}
   */
  public static ConfigSet of(Collection<? extends ConfigObject<?>> objects, PathPolicy paths) throws ConfigException {
    return of(objects, FilterConfigValidator.installed(), paths);
  }

  /** An empty set under {@code paths}: the start of a chain of {@link #with}. */
  public static ConfigSet empty(PathPolicy paths) {
    return paths.equals(PathPolicy.DEFAULT) ? EMPTY : new ConfigSet(List.of(), Set.of(), paths);
  }

  /**
   * {@link #of} with filter configs checked by {@code filters} instead of the installed validator;
   * a set and the sets derived from it must be validated with the same one.
   */
  static ConfigSet of(Collection<? extends ConfigObject<?>> objects, @Nullable FilterConfigValidator filters)
      throws ConfigException {
    return of(objects, filters, PathPolicy.DEFAULT);
  }

  private static ConfigSet of(Collection<? extends ConfigObject<?>> objects, @Nullable FilterConfigValidator filters,
      PathPolicy paths) throws ConfigException {
    List<ConfigError> errors = Validator.validate(objects, Set.of(), filters, paths);
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return new ConfigSet(objects.stream().<ConfigObject<?>>map(o -> o).sorted(DEPENDENCY_ORDER).toList(), null, paths);
  }

  /** The directories the files this set's objects name are in (checked when it was validated). */
  public PathPolicy paths() {
    return paths;
  }

  /**
   * This set changed: each of {@code puts} added, or in place of the object of the same kind and
   * name; each object named in {@code deletes} removed. The outcome is exactly that of {@link #of}
   * over the resulting objects, taken as this set's objects in {@link #all()} order without those
   * deleted or put, followed by {@code puts} in their order: an equal set, or a
   * {@link ConfigException} with the same errors in the same order. Objects that are not put keep
   * their identity.
   *
   * <ul>
   *   <li>A ref in {@code deletes} that this set does not hold is ignored.
   *   <li>A ref put twice is refused as {@code of} refuses it: the second is a {@code duplicate name}
   *       naming the source of the first.
   *   <li>A ref both deleted and put ends up put.
   * </ul>
   *
   * <p>Cost: when every put and every delete (of an object this set holds) is a Route, only the puts
   * are validated, against the resulting set: nothing in a route's validation depends on other
   * routes (but for whether a Route a filter config names exists), and this set's other objects were
   * valid and are unchanged. That costs the puts'
   * validation, a binary search per change and one copy of the list of objects. A deleted Route that
   * an object of this set refers to (which only a filter config can), or a change of any other
   * kind, validates the resulting objects as a whole, like {@code of}. More than 64 changes are
   * sorted into place rather than inserted one by one.
   *
   * @throws ConfigException with every error, as {@link #of} would throw it
   */
  public ConfigSet with(Collection<? extends ConfigObject<?>> puts, Collection<ObjectRef> deletes) throws ConfigException {
    return with(puts, deletes, FilterConfigValidator.installed());
  }

  /** {@link #with} with filter configs checked by {@code filters}, the validator this set was made with. */
  ConfigSet with(Collection<? extends ConfigObject<?>> puts, Collection<ObjectRef> deletes,
      @Nullable FilterConfigValidator filters) throws ConfigException {
    boolean onlyRoutes = true;
    Set<ObjectRef> deleted = new HashSet<>();
    for (ObjectRef ref : deletes) {
      if (indexOf(ref.kind(), ref.name()) < 0) continue;
      deleted.add(ref);
      onlyRoutes &= ref.kind() == Kind.ROUTE;
    }
    if (puts.isEmpty() && deleted.isEmpty()) return this;
    for (ConfigObject<?> o : puts) onlyRoutes &= o.kind() == Kind.ROUTE;
    if (onlyRoutes && !deleted.isEmpty()) {
      Set<ObjectRef> referred = routesReferredTo(filters);
      for (ObjectRef ref : deleted) onlyRoutes &= !referred.contains(ref);
    }

    ConfigSet next = new ConfigSet(changed(puts, deleted), null, paths);
    List<ConfigError> errors = onlyRoutes
        ? Validator.validateRoutes(puts, next.routeContext(), filters)
        : Validator.validate(resulting(puts, deleted), Set.of(), filters, paths);
    if (!errors.isEmpty()) throw new ConfigException(errors);
    // Only now: references are read from configs that validated.
    next.routesReferredTo = carriedRoutesReferredTo(puts, filters);
    return next;
  }

  /**
   * This set with each of {@code objects} in place of the object of the same kind and name, which
   * differs from it at most in {@code metadata.revision} and {@code source}: bookkeeping that
   * validation does not read (a source only names a place in error messages), so the result is
   * valid without validating again. A store uses it to validate objects as they were sent, so that
   * errors name where they came from, and then hold them in their stored form. Costs a binary search
   * per object and one copy of the list of objects.
   *
   * @throws IllegalArgumentException when one of {@code objects} is not in this set, or differs from
   *     the object it replaces in anything else
   */
  public ConfigSet restamped(Collection<? extends ConfigObject<?>> objects) {
    if (objects.isEmpty()) return this;
    List<ConfigObject<?>> list = new ArrayList<>(all);
    for (ConfigObject<?> o : objects) {
      int i = indexOf(o.kind(), o.name());
      if (i < 0) throw new IllegalArgumentException(o.ref() + " is not in the set");
      ConfigObject<?> old = all.get(i);
      if (!old.apiVersion().equals(o.apiVersion()) || !old.metadata().withRevision(0).equals(o.metadata().withRevision(0))
          || !old.spec().equals(o.spec())) {
        throw new IllegalArgumentException(o.ref() + " differs from the object in the set in more than revision and source");
      }
      list.set(i, o);
    }
    return new ConfigSet(Collections.unmodifiableList(list), routesReferredTo, paths);
  }

  /** The object of {@code ref}'s kind and name, or null when there is none. */
  public @Nullable ConfigObject<?> get(ObjectRef ref) {
    int i = indexOf(ref.kind(), ref.name());
    return i < 0 ? null : all.get(i);
  }

  /** Secrets, sorted by name. */
  public List<ConfigObject<io.sluice.api.secret.SecretSpec>> secrets() {
    return ofKind(Kind.SECRET);
  }

  /** Listeners, sorted by name. */
  public List<ConfigObject<ListenerSpec>> listeners() {
    return ofKind(Kind.LISTENER);
  }

  /** Routes, sorted by name. */
  public List<ConfigObject<RouteSpec>> routes() {
    return ofKind(Kind.ROUTE);
  }

  /** Upstreams, sorted by name. */
  public List<ConfigObject<UpstreamSpec>> upstreams() {
    return ofKind(Kind.UPSTREAM);
  }

  /** The upstream named {@code name}, or null when there is none. */
  public @Nullable ConfigObject<UpstreamSpec> upstream(String name) {
    return named(Kind.UPSTREAM, name);
  }

  /** The Function named {@code name}, or null when there is none. */
  public @Nullable ConfigObject<FunctionSpec> function(String name) {
    return named(Kind.FUNCTION, name);
  }

  /** Plugins, sorted by name. */
  public List<ConfigObject<io.sluice.api.plugin.PluginSpec>> plugins() {
    return ofKind(Kind.PLUGIN);
  }

  /** Consumers, sorted by name. */
  public List<ConfigObject<ConsumerSpec>> consumers() {
    return ofKind(Kind.CONSUMER);
  }

  /** Pipelines, sorted by name. */
  public List<ConfigObject<PipelineSpec>> pipelines() {
    return ofKind(Kind.PIPELINE);
  }

  /** The pipeline named {@code name}, or null when there is none. */
  public @Nullable ConfigObject<PipelineSpec> pipeline(String name) {
    return named(Kind.PIPELINE, name);
  }

  /** GlobalFilters, sorted by name: the order in which their filters run. */
  public List<ConfigObject<GlobalFilterSpec>> globalFilters() {
    return ofKind(Kind.GLOBAL_FILTER);
  }

  /**
   * Every object in dependency order (Secret, Upstream, Consumer, Pipeline, Route, Listener, GlobalFilter: {@link Kind} declaration order, see
   * DESIGN §2), then by name, so that applying them in this order never meets a dangling reference.
   */
  public List<ConfigObject<?>> all() {
    return all;
  }

  // The kind decides the spec class (ConfigObject checks it on construction), so the casts hold.
  @SuppressWarnings("unchecked")
  private <S extends Spec> List<ConfigObject<S>> ofKind(Kind kind) {
    return (List<ConfigObject<S>>) byKind[kind.ordinal()];
  }

  @SuppressWarnings("unchecked")
  private <S extends Spec> @Nullable ConfigObject<S> named(Kind kind, String name) {
    int i = indexOf(kind, name);
    return i < 0 ? null : (ConfigObject<S>) all.get(i);
  }

  /** The index of the object of {@code kind} named {@code name} in {@link #all}, else {@code -(insertion point) - 1}. */
  private int indexOf(Kind kind, String name) {
    return indexOf(all, start[kind.ordinal()], start[kind.ordinal() + 1], name);
  }

  /** Binary search for {@code name} in {@code sorted[from, to)}, whose objects are all of one kind. */
  private static int indexOf(List<ConfigObject<?>> sorted, int from, int to, String name) {
    int lo = from;
    int hi = to - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = sorted.get(mid).name().compareTo(name);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  /** The first index in {@code sorted} whose kind's ordinal is at least {@code ordinal}. */
  private static int firstOfKindAtLeast(List<ConfigObject<?>> sorted, int ordinal) {
    int lo = 0;
    int hi = sorted.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted.get(mid).kind().ordinal() < ordinal) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * This set's objects with {@code deleted} removed and {@code puts} in place, sorted. A ref put
   * twice may be in it once or twice: such a change set is refused anyway.
   */
  private List<ConfigObject<?>> changed(Collection<? extends ConfigObject<?>> puts, Set<ObjectRef> deleted) {
    if (puts.size() + deleted.size() > MAX_INSERTIONS) {
      List<ConfigObject<?>> list = resulting(puts, deleted);
      list.sort(DEPENDENCY_ORDER);
      return Collections.unmodifiableList(list);
    }
    List<ConfigObject<?>> list = new ArrayList<>(all.size() + puts.size());
    list.addAll(all);
    // Kind boundaries move as objects come and go, so each search finds its kind's range anew.
    for (ObjectRef ref : deleted) {
      int i = search(list, ref.kind(), ref.name());
      if (i >= 0) list.remove(i);
    }
    for (ConfigObject<?> o : puts) {
      int i = search(list, o.kind(), o.name());
      if (i >= 0) {
        list.set(i, o);
      } else {
        list.add(-i - 1, o);
      }
    }
    return Collections.unmodifiableList(list);
  }

  private static int search(List<ConfigObject<?>> sorted, Kind kind, String name) {
    return indexOf(sorted, firstOfKindAtLeast(sorted, kind.ordinal()), firstOfKindAtLeast(sorted, kind.ordinal() + 1), name);
  }

  /** The objects {@link #with} is equivalent to {@link #of} over, in that order. */
  private List<ConfigObject<?>> resulting(Collection<? extends ConfigObject<?>> puts, Set<ObjectRef> deleted) {
    Set<ObjectRef> removed = new HashSet<>(deleted);
    for (ConfigObject<?> o : puts) removed.add(ObjectRef.of(o));
    List<ConfigObject<?>> list = new ArrayList<>(all.size() + puts.size());
    for (ConfigObject<?> o : all) {
      if (!removed.contains(ObjectRef.of(o))) list.add(o);
    }
    list.addAll(puts);
    return list;
  }

  private Validator.RouteContext routeContext() {
    return new Validator.RouteContext() {
      @Override
      public boolean exists(Kind kind, String name) {
        return indexOf(kind, name) >= 0;
      }

      @Override
      public @Nullable ConfigObject<PipelineSpec> pipeline(String name) {
        return ConfigSet.this.pipeline(name);
      }

      @Override
      public @Nullable ConfigObject<?> object(ObjectRef ref) {
        return ConfigSet.this.get(ref);
      }

      @Override
      public List<ConfigObject<GlobalFilterSpec>> globalFilters() {
        return ConfigSet.this.globalFilters();
      }

      @Override
      public List<ConfigObject<io.sluice.api.plugin.PluginSpec>> plugins() {
        return ConfigSet.this.plugins();
      }
    };
  }

  private Set<ObjectRef> routesReferredTo(@Nullable FilterConfigValidator filters) {
    Set<ObjectRef> referred = routesReferredTo;
    if (referred == null) {
      referred = new HashSet<>();
      if (filters != null) {
        for (ConfigObject<?> o : all) addRoutesReferredTo(o, filters, referred);
      }
      routesReferredTo = referred;
    }
    return referred;
  }

  /** What a set derived from this one with {@code puts} keeps as {@link #routesReferredTo}. */
  private @Nullable Set<ObjectRef> carriedRoutesReferredTo(Collection<? extends ConfigObject<?>> puts,
      @Nullable FilterConfigValidator filters) {
    Set<ObjectRef> referred = routesReferredTo;
    if (referred == null || filters == null) return referred;
    Set<ObjectRef> more = new HashSet<>();
    for (ConfigObject<?> o : puts) addRoutesReferredTo(o, filters, more);
    if (referred.containsAll(more)) return referred;
    more.addAll(referred);
    return more;
  }

  /** Adds the Routes that {@code o} refers to: only a filter config can name one. */
  private static void addRoutesReferredTo(ConfigObject<?> o, FilterConfigValidator filters, Set<ObjectRef> into) {
    // On the kind, so that a new Kind does not compile until it is decided whether it has filters.
    List<List<FilterSpec>> lists = switch (o.kind()) {
      case ROUTE -> List.of(((RouteSpec) o.spec()).filters());
      case PIPELINE -> List.of(((PipelineSpec) o.spec()).filters());
      case GLOBAL_FILTER -> List.of(((GlobalFilterSpec) o.spec()).before(), ((GlobalFilterSpec) o.spec()).after());
      case SECRET, PLUGIN, UPSTREAM, FUNCTION, CONSUMER, LISTENER, WEBHOOK -> List.of();
    };
    for (List<FilterSpec> list : lists) {
      for (FilterSpec f : list) {
        if (f.kind() == null || !filters.kinds().contains(f.kind())) continue;
        for (FilterConfigValidator.Reference r : filters.references(f.kind(), f.config())) {
          if (r.target().kind() == Kind.ROUTE) into.add(r.target());
        }
      }
    }
  }
}
