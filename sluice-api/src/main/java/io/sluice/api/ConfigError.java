package io.sluice.api;

import java.util.Objects;

/**
 * One thing wrong with the configuration, precise enough to fix without guessing.
 *
 * @param source where: a file relative to the config directory with a line when one is known
 *     and column when known ({@code routes.yaml:12:7}), or {@code <api>} and the like. Validation
 *     errors give the line and column of the offending field's key (or of its nearest enclosing field
 *     that is written, when it is missing; the line the object's document starts on for the object as
 *     a whole or an object not read from a text); decoding errors give the line of the offending field.
 * @param object which object: {@code Kind/name}; {@code ?/name} when the kind is unknown;
 *     {@code document N} (1-based, empty documents counted) when the name is unknown; {@code ?} for
 *     a file as a whole
 * @param field the field path inside the object, dotted, with {@code [i]} (0-based) for list
 *     elements and map keys as written: {@code spec.match.path.regex}, {@code spec.endpoints[1].address},
 *     {@code spec.directResponse.headers.x-served-by}, {@code metadata.name}; empty for the object
 *     or document as a whole
 * @param message what was found and what was expected
 */
public record ConfigError(String source, String object, String field, String message) {
  public ConfigError {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(message, "message");
  }

  /** {@code routes.yaml:12:7: Route/orders: spec.match.path.regex: invalid regular expression ...}. */
  @Override
  public String toString() {
    return source + ": " + object + ": " + (field.isEmpty() ? "" : field + ": ") + message;
  }
}
