package io.sluice.api;

import java.util.Objects;

/**
 * One configuration object: {@code apiVersion}, {@code kind}, {@code metadata} and a typed {@code spec}.
 *
 * @param source where the object was read from: the file and the line its document starts on
 *     ({@code routes.yaml:12}), used to name the place in error messages; {@code "<inline>"},
 *     {@code "<api>"} or similar for objects that did not come from a file
 */
public record ConfigObject<S extends Spec>(
    String apiVersion, Kind kind, ObjectMeta metadata, S spec, String source) {

  public static final String API_VERSION = "sluice.io/v1";

  public ConfigObject {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(source, "source");
    if (!kind.specClass().isInstance(spec)) {
      throw new IllegalArgumentException(
          "spec of a " + kind + " must be a " + kind.specClass().getSimpleName() + ", got " + spec.getClass().getSimpleName());
    }
  }

  public static <S extends Spec> ConfigObject<S> of(Kind kind, String name, S spec) {
    return new ConfigObject<>(API_VERSION, kind, ObjectMeta.named(name), spec, "<inline>");
  }

  public String name() {
    return metadata.name();
  }

  /** {@code Kind/name}, the way objects are named in messages. */
  public String ref() {
    return kind.displayName() + "/" + metadata.name();
  }
}
