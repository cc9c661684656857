package io.sluice.api.filter;

import io.sluice.api.ObjectRef;
import java.util.ArrayList;
import java.util.List;

/** What lists of filters have in common. */
public final class FilterSpecs {
  private FilterSpecs() {}

  /**
   * The objects the configs of {@code filters} refer to, as the installed
   * {@link FilterConfigValidator} reads them; none when no validator is installed or a kind is
   * unknown (an invalid config is refused anyway, with its own error).
   */
  public static List<ObjectRef> references(List<FilterSpec> filters) {
    FilterConfigValidator v = FilterConfigValidator.installed();
    if (v == null || filters.isEmpty()) return List.of();
    List<ObjectRef> refs = new ArrayList<>();
    for (FilterSpec f : filters) {
      if (f.kind() == null || !v.kinds().contains(f.kind())) continue;
      for (FilterConfigValidator.Reference r : v.references(f.kind(), f.config())) refs.add(r.target());
    }
    return refs;
  }
}
