package io.sluice.api;

import java.util.Objects;

/**
 * One thing wrong with the configuration, precise enough to fix without guessing.
 *
 * @param source where: a file relative to the config directory, with the line of the object's
 *     document when known ({@code routes.yaml:12}), or {@code <api>} and the like
 * @param object which object: {@code Kind/name}, or {@code document N} when the name is unknown
 * @param field the field path inside the object: {@code spec.match.path.regex},
 *     {@code spec.endpoints[1].address}, {@code metadata.name}; empty for the object as a whole
 * @param message what was found and what was expected
 */
public record ConfigError(String source, String object, String field, String message) {
  public ConfigError {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return source + ": " + object + ": " + (field.isEmpty() ? "" : field + ": ") + message;
  }
}
