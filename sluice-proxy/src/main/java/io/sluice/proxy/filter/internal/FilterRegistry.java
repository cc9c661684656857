package io.sluice.proxy.filter.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.validate.FilterConfigBinding;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The filter kinds: every {@link FilterFactory} found by {@link ServiceLoader}, by kind. Binds and
 * checks configs (for validation) and creates filters (when a configuration is applied).
 * Immutable and thread-safe.
 */
public final class FilterRegistry {
  private static final Pattern KIND = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private final Map<String, FilterFactory<?>> factories;
  private final SortedSet<String> kinds;
  /** Config defaults of plugin kinds ({@code plugin/kind}), from their Plugin's {@code spec.config}. */
  private final Map<String, ObjectNode> defaults;
  /**
   * What keeps the plugins' class loaders (and their cache entries, {@link PluginJars}) alive
   * while this registry, or a configuration compiled with it, is in use.
   */
  private final List<Object> retained;

  private FilterRegistry(Map<String, FilterFactory<?>> factories) {
    this(factories, Map.of(), List.of());
  }

  private FilterRegistry(Map<String, FilterFactory<?>> factories, Map<String, ObjectNode> defaults, List<Object> retained) {
    this.factories = Map.copyOf(factories);
    this.kinds = Collections.unmodifiableSortedSet(new TreeSet<>(factories.keySet()));
    this.defaults = Map.copyOf(defaults);
    this.retained = List.copyOf(retained);
  }

  /** One Plugin's filter kinds, to be added to a registry as {@code <plugin>/<kind>}. */
  record PluginKinds(String plugin, Map<String, FilterFactory<?>> factories, Map<String, JsonNode> defaults, Object retained) {}

  /**
   * This registry with the kinds of {@code plugins} added as {@code <plugin>/<kind>}; the factories'
   * own kinds were checked by {@link PluginJars}.
   */
  FilterRegistry withPlugins(List<PluginKinds> plugins) {
    if (plugins.isEmpty()) return this;
    Map<String, FilterFactory<?>> all = new TreeMap<>(factories);
    Map<String, ObjectNode> d = new TreeMap<>(defaults);
    List<Object> keep = new ArrayList<>(retained);
    for (PluginKinds p : plugins) {
      p.factories().forEach((kind, f) -> all.put(p.plugin() + "/" + kind, f));
      p.defaults().forEach((kind, node) -> {
        if (node instanceof ObjectNode o) d.put(p.plugin() + "/" + kind, o);
      });
      keep.add(p.retained());
    }
    return new FilterRegistry(all, d, keep);
  }

  /** {@code config} laid over the kind's defaults, field by field; {@code config} itself for a kind without defaults. */
  private @Nullable JsonNode effective(String kind, @Nullable JsonNode config) {
    ObjectNode d = defaults.get(kind);
    if (d == null) return config;
    if (config == null || config.isNull()) return d;
    if (!(config instanceof ObjectNode o)) return config;
    ObjectNode merged = d.deepCopy();
    merged.setAll(o);
    return merged;
  }

  /**
   * The factories installed on the class path, discovered once.
   *
   * @throws IllegalStateException when a kind name is invalid or two factories declare the same kind
   */
  public static FilterRegistry installed() {
    return Installed.REGISTRY;
  }

  private static final class Installed {
    static final FilterRegistry REGISTRY = discover();
  }

  private static FilterRegistry discover() {
    List<FilterFactory<?>> found = new ArrayList<>();
    for (FilterFactory<?> f : ServiceLoader.load(FilterFactory.class, FilterFactory.class.getClassLoader())) found.add(f);
    return of(found);
  }

  /** A registry of exactly these factories. */
  public static FilterRegistry of(Collection<? extends FilterFactory<?>> factories) {
    Map<String, FilterFactory<?>> byKind = new TreeMap<>();
    for (FilterFactory<?> f : factories) {
      String kind = f.kind();
      if (kind == null || !KIND.matcher(kind).matches()) {
        throw new IllegalStateException(f.getClass().getName() + " declares the invalid filter kind '" + kind
            + "'; expected lower-case letters, digits and '-'");
      }
      FilterFactory<?> other = byKind.putIfAbsent(kind, f);
      if (other != null) {
        throw new IllegalStateException("filter kind '" + kind + "' is declared by both " + other.getClass().getName()
            + " and " + f.getClass().getName());
      }
    }
    return new FilterRegistry(byKind);
  }

  public SortedSet<String> kinds() {
    return kinds;
  }

  public @Nullable FilterFactory<?> factory(String kind) {
    return factories.get(kind);
  }

  /** Binds and checks a config of a known kind, reporting each problem with its path inside the config. */
  public void validate(String kind, @Nullable JsonNode config, Problems problems) {
    bind(factory(kind), kind, effective(kind, config), problems);
  }

  /** The references of a config that {@link #validate} accepted. */
  public List<Reference> references(String kind, @Nullable JsonNode config) {
    FilterFactory<?> f = factory(kind);
    if (f == null) return List.of();
    return referencesOf(f, effective(kind, config));
  }

  /** Checks a config that {@link #validate} accepted against the objects it refers to ({@link FilterFactory#validateReferenced}). */
  public void validateReferenced(String kind, @Nullable JsonNode config, FilterConfigValidator.ReferencedObjects objects, Problems problems) {
    FilterFactory<?> f = factory(kind);
    if (f != null) referenced(f, effective(kind, config), objects, problems);
  }

  private static <C> void referenced(FilterFactory<C> f, @Nullable JsonNode config, FilterConfigValidator.ReferencedObjects objects,
      Problems problems) {
    C c = bound(f, config, (field, message) -> {});
    if (c == null) return;
    try {
      f.validateReferenced(c, objects, problems);
    } catch (RuntimeException e) {
      problems.add("", "cannot be checked: " + f.getClass().getName() + ".validateReferenced failed: " + e);
    }
  }

  private static <C> List<Reference> referencesOf(FilterFactory<C> f, @Nullable JsonNode config) {
    C c = bound(f, config, (field, message) -> {});
    if (c == null) return List.of();
    try {
      return f.references(c);
    } catch (RuntimeException e) {
      // A plugin's bug: its config is then refused by validate, which reports the failure.
      return List.of();
    }
  }

  /**
   * Creates a filter.
   *
   * @throws IllegalArgumentException when the kind is unknown or the config invalid, naming the
   *     place ({@code where}) and every problem
   */
  public Filter create(String kind, @Nullable JsonNode config, FilterEnvironment environment, String where) {
    FilterFactory<?> f = factory(kind);
    if (f == null) throw new IllegalArgumentException(where + ": unknown filter kind '" + kind + "'");
    return createWith(f, effective(kind, config), environment, where);
  }

  private static <C> Filter createWith(FilterFactory<C> f, @Nullable JsonNode config, FilterEnvironment env, String where) {
    C c = FilterConfigBinding.bindChecked(config, f.configType(), f::validate, where);
    Filter filter = f.create(c, env);
    if (filter == null) throw new IllegalStateException(where + ": " + f.getClass().getName() + ".create returned null");
    return filter;
  }

  private static <C> void bind(@Nullable FilterFactory<C> f, String kind, @Nullable JsonNode config, Problems problems) {
    if (f == null) {
      problems.add("", "unknown filter kind '" + kind + "'");
      return;
    }
    boolean[] failed = {false};
    C c = bound(f, config, (field, message) -> {
      failed[0] = true;
      problems.add(field, message);
    });
    if (c != null && !failed[0]) {
      try {
        checked(f, c, problems);
      } catch (RuntimeException e) {
        problems.add("", "cannot be checked: " + f.getClass().getName() + ".validate failed: " + e);
      }
    }
  }

  private static <C> void checked(FilterFactory<C> f, C config, Problems problems) {
    FilterConfigBinding.check(config, f::validate, problems);
  }

  private static <C> @Nullable C bound(FilterFactory<C> f, @Nullable JsonNode config, Problems problems) {
    return FilterConfigBinding.bind(config, f.configType(), problems);
  }
}
