package io.sluice.api.filter;

import io.sluice.api.ObjectRef;
import java.util.ArrayList;
import java.util.List;

/** What lists of filters have in common. */
public final class FilterSpecs {
  private FilterSpecs() {}

  /** What separates a plugin's name from its filter's kind in a filter's {@code kind}: {@code acme/stamp}. */
  public static final char PLUGIN_SEPARATOR = '/';

  /**
   * The Plugin a filter kind names ({@code acme} of {@code acme/stamp}), or null for a kind that
   * is not a plugin's.
   */
  public static @org.jspecify.annotations.Nullable String pluginOf(@org.jspecify.annotations.Nullable String kind) {
    if (kind == null) return null;
    int slash = kind.indexOf(PLUGIN_SEPARATOR);
    return slash <= 0 ? null : kind.substring(0, slash);
  }

  /**
   * The objects {@code filters} refer to: the Plugin of each plugin filter's kind, and what the
   * configs name as the installed {@link FilterConfigValidator} reads them (none when no validator
   * is installed or a kind is unknown: an invalid config is refused anyway, with its own error).
   */
  public static List<ObjectRef> references(List<FilterSpec> filters) {
    if (filters.isEmpty()) return List.of();
    List<ObjectRef> refs = new ArrayList<>();
    for (FilterSpec f : filters) {
      String plugin = pluginOf(f.kind());
      if (plugin != null) refs.add(new ObjectRef(io.sluice.api.Kind.PLUGIN, plugin));
    }
    FilterConfigValidator v = FilterConfigValidator.installed();
    if (v == null) return refs;
    for (FilterSpec f : filters) {
      if (f.kind() == null || !v.kinds().contains(f.kind())) continue;
      for (FilterConfigValidator.Reference r : v.references(f.kind(), f.config())) refs.add(r.target());
    }
    return refs;
  }
}
