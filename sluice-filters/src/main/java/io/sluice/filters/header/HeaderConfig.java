package io.sluice.filters.header;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code header} filter's config: edits to the request (before it goes upstream) and to the
 * response (before it goes to the client).
 *
 * @param request edits to the request headers
 * @param response edits to the response headers
 */
public record HeaderConfig(@Nullable Edits request, @Nullable Edits response) {
  /**
   * Applied in this order: {@code remove}, then {@code set}, then {@code add}.
   *
   * @param set fields to set: every field of the name is replaced by this one
   * @param add fields to add after those already there
   * @param remove names of fields to remove
   */
  public record Edits(Map<String, String> set, Map<String, String> add, List<String> remove) {
    public Edits {
      set = set == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(set));
      add = add == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(add));
      remove = remove == null ? List.of() : List.copyOf(remove);
    }

    boolean isEmpty() {
      return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }
  }
}
