package io.sluice.filters.jsontransform;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.sluice.api.ByteSize;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code json-transform} filter's config.
 *
 * @param request edits to JSON request bodies, before they go upstream
 * @param response edits to JSON response bodies, before they go to the client
 * @param maxBodySize the most bytes of body buffered; default 1MiB. A bigger request body gets 413
 *     (the request is buffered whole before it goes upstream); a bigger response body streams
 *     through untouched
 */
public record JsonTransformConfig(@Nullable Edits request, @Nullable Edits response, @Nullable ByteSize maxBodySize) {
  static final long DEFAULT_MAX_BODY_SIZE = 1024 * 1024;

  long maxBytes() {
    return maxBodySize == null ? DEFAULT_MAX_BODY_SIZE : maxBodySize.bytes();
  }

  /**
   * Edits to one JSON document, keyed by JSON pointers (RFC 6901), applied in this order:
   * {@code rename}, then {@code remove}, then {@code set}; within each, in the order written.
   *
   * @param set the value to put at each pointer (any JSON value, {@code null} included); missing
   *     intermediate objects are created
   * @param remove pointers of members or array elements to remove
   * @param rename the new member name of the member at each pointer (its value and position kept)
   */
  public record Edits(
      @JsonSetter(contentNulls = Nulls.SET) Map<String, JsonNode> set, List<String> remove, Map<String, String> rename) {
    public Edits {
      if (set == null) {
        set = Map.of();
      } else {
        // A YAML/JSON null is a value to set: bound as Java null (the binder refuses nulls elsewhere), kept as NullNode.
        Map<String, JsonNode> copy = new LinkedHashMap<>();
        set.forEach((k, v) -> copy.put(k, v == null ? NullNode.getInstance() : v));
        set = Collections.unmodifiableMap(copy);
      }
      remove = remove == null ? List.of() : List.copyOf(remove);
      rename = rename == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rename));
    }

    boolean isEmpty() {
      return set.isEmpty() && remove.isEmpty() && rename.isEmpty();
    }
  }
}
