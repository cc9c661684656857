package io.sluice.api;

import java.util.Map;
import java.util.Objects;

/**
 * The {@code metadata} of an object, in the Kubernetes shape.
 *
 * @param name unique among objects of the same kind; a DNS label-like name ({@code [a-z0-9]([-a-z0-9.]*[a-z0-9])?}); required
 * @param labels free-form key/values used for selection; never null
 * @param annotations free-form key/values that tools and later features read; never null
 * @param revision the store revision of the object's last change, 0 for an object that is not
 *     stored (read from a file, or about to be applied). When an object sent to the store carries a
 *     revision, the store applies it only if the stored object is still at that revision
 *     (compare-and-set, like Kubernetes' {@code resourceVersion})
 */
public record ObjectMeta(String name, Map<String, String> labels, Map<String, String> annotations, long revision) {
  public ObjectMeta {
    Objects.requireNonNull(name, "name");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    if (revision < 0) throw new IllegalArgumentException("revision must be >= 0, got " + revision);
  }

  public ObjectMeta(String name, Map<String, String> labels, Map<String, String> annotations) {
    this(name, labels, annotations, 0);
  }

  public static ObjectMeta named(String name) {
    return new ObjectMeta(name, Map.of(), Map.of(), 0);
  }

  /** This metadata with {@code revision} instead of the current one. */
  public ObjectMeta withRevision(long revision) {
    return new ObjectMeta(name, labels, annotations, revision);
  }
}
