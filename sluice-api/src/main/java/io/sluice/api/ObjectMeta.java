package io.sluice.api;

import java.util.Map;
import java.util.Objects;

/**
 * The {@code metadata} of an object, in the Kubernetes shape.
 *
 * @param name unique among objects of the same kind; a DNS label-like name ({@code [a-z0-9]([-a-z0-9.]*[a-z0-9])?})
 * @param labels free-form key/values used for selection; never null
 * @param annotations free-form key/values that tools and later features read; never null
 */
public record ObjectMeta(String name, Map<String, String> labels, Map<String, String> annotations) {
  public ObjectMeta {
    Objects.requireNonNull(name, "name");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  public static ObjectMeta named(String name) {
    return new ObjectMeta(name, Map.of(), Map.of());
  }
}
