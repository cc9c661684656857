package io.sluice.api.filter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One filter in a list of filters: a Route's {@code filters}, a Pipeline's {@code filters}, or a
 * GlobalFilter's {@code before} / {@code after}.
 *
 * <pre>{@code
 * filters:
 *   - kind: key-auth                    # the filter's kind, as its FilterFactory declares it
 *     name: auth                        # optional; unique in its list; needed to jump to it or override it
 *     config: {header: apikey}          # bound to the kind's config record and checked when applied
 *     onResult: {unauthorized: basic}   # a named result jumps forward to a later filter, or to END
 * }</pre>
 *
 * @param kind the filter kind ({@code header}, {@code cors}, {@code key-auth}, ...); required
 * @param name an id for the filter, unique within its list: the target of {@code onResult} jumps,
 *     and the name by which a route overrides or disables a GlobalFilter's filter
 * @param config the filter's settings, in the shape of its kind's config record; left out means
 *     the kind's defaults ({@code {}})
 * @param onResult where the flow goes when the filter's request phase ends with a named result:
 *     the name of a filter later in the same list, or {@code END} to skip the rest of the list. A
 *     result named here does not send the response it may carry; a result not named here sends
 *     its response, or goes on with the next filter when it has none
 */
public record FilterSpec(String kind, @Nullable String name, @Nullable JsonNode config, Map<String, String> onResult) {
  /** The {@code onResult} target that skips the rest of the list. */
  public static final String END = "END";

  public FilterSpec {
    // Insertion order is kept: errors about jumps come in the order they were written.
    onResult = onResult == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(onResult));
  }

  @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
  public static FilterSpec of(String kind, @Nullable JsonNode config) {
    return new FilterSpec(kind, null, config, null);
  }

  /** {@code name} when set, else {@code kind}: how messages refer to the filter. */
  public String label() {
    return name != null ? name : kind;
  }
}
