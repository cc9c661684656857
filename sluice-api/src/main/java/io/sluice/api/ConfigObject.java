package io.sluice.api;

import java.util.Objects;

/**
 * One configuration object: {@code apiVersion}, {@code kind}, {@code metadata} and a typed {@code spec}.
 *
 * @param source where the object was read from: the file and the line its document starts on
 *     ({@code routes.yaml:12}), used to name the place in error messages; {@code "<inline>"},
 *     {@code "<api>"} or similar for objects that did not come from a file
 * @param fields where each field was written, for errors about one field ({@link #sourceOf}); not part
 *     of the object's value ({@link FieldLocations} are all equal)
 */
public record ConfigObject<S extends Spec>(
    String apiVersion, Kind kind, ObjectMeta metadata, S spec, String source, FieldLocations fields) {

  public static final String API_VERSION = "sluice.io/v1";

  public ConfigObject {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(fields, "fields");
    if (!kind.specClass().isInstance(spec)) {
      throw new IllegalArgumentException(
          "spec of a " + kind + " must be a " + kind.specClass().getSimpleName() + ", got " + spec.getClass().getSimpleName());
    }
  }

  /** An object whose fields' places are not known (errors about a field name its {@code source}). */
  public ConfigObject(String apiVersion, Kind kind, ObjectMeta metadata, S spec, String source) {
    this(apiVersion, kind, metadata, spec, source, FieldLocations.NONE);
  }

  public static <S extends Spec> ConfigObject<S> of(Kind kind, String name, S spec) {
    return new ConfigObject<>(API_VERSION, kind, ObjectMeta.named(name), spec, "<inline>");
  }

  public String name() {
    return metadata.name();
  }

  /**
   * Where {@code field} (a path as {@link ConfigError#field()} writes it) was written:
   * {@code routes.yaml:9:11}, or of its nearest enclosing field that was; {@link #source()} when
   * none was, or for the object as a whole ({@code ""}).
   */
  public String sourceOf(String field) {
    String at = fields.sourceOf(field);
    return at != null ? at : source;
  }

  /** {@code Kind/name}, the way objects are named in messages. */
  public String ref() {
    return kind.displayName() + "/" + metadata.name();
  }
}
