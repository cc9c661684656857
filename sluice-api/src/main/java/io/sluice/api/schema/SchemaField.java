package io.sluice.api.schema;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One field of the configuration as {@code sluice explain} shows it, with the fields under it.
 *
 * @param name the field's name as written in YAML or JSON ({@code healthCheck}); for the root of a
 *     kind or a filter config, the kind ({@code Upstream}, {@code key-auth})
 * @param type {@code string}, {@code integer}, {@code number}, {@code boolean}, {@code duration},
 *     {@code size}, {@code enum}, {@code object}, {@code list of T} or {@code map of T}
 * @param defaultValue the value a left-out field takes, as it would be written ({@code 10s},
 *     {@code []}); null when it has none (left out means "not set") or it is an object whose own
 *     fields have the defaults
 * @param required whether the field must be given
 * @param description what the field means: the javadoc {@code @param} of its record component,
 *     on one line; empty when there is none
 * @param values the accepted values of an {@code enum} (or {@code list of enum}), else empty
 * @param fields the fields of an object (or of a list's or map's object elements), in declaration
 *     order; empty for a scalar
 */
public record SchemaField(
    String name, String type, @Nullable String defaultValue, boolean required, String description,
    List<String> values, List<SchemaField> fields) {
  public SchemaField {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(description, "description");
    values = List.copyOf(values);
    fields = List.copyOf(fields);
  }

  /**
   * The field named {@code name} directly under this one, compared without case and with
   * {@code -} and {@code _} ignored (so {@code health-check} finds {@code healthCheck}); null when
   * there is none.
   */
  public @Nullable SchemaField field(String name) {
    String key = key(name);
    for (SchemaField f : fields) {
      if (key(f.name).equals(key)) return f;
    }
    return null;
  }

  /** This field with only {@code depth} levels of fields under it (0: none); the rest is cut. */
  public SchemaField limitedTo(int depth) {
    return new SchemaField(name, type, defaultValue, required, description, values,
        depth <= 0 ? List.of() : fields.stream().map(f -> f.limitedTo(depth - 1)).toList());
  }

  static String key(String name) {
    return name.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
  }
}
