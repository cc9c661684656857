package io.sluice.proxy.filter.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.validate.FilterConfigBinding;
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

  private FilterRegistry(Map<String, FilterFactory<?>> factories) {
    this.factories = Map.copyOf(factories);
    this.kinds = Collections.unmodifiableSortedSet(new TreeSet<>(factories.keySet()));
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
    bind(factory(kind), kind, config, problems);
  }

  /** The references of a config that {@link #validate} accepted. */
  public List<Reference> references(String kind, @Nullable JsonNode config) {
    FilterFactory<?> f = factory(kind);
    if (f == null) return List.of();
    return referencesOf(f, config);
  }

  private static <C> List<Reference> referencesOf(FilterFactory<C> f, @Nullable JsonNode config) {
    C c = bound(f, config, (field, message) -> {});
    return c == null ? List.of() : f.references(c);
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
    return createWith(f, config, environment, where);
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
