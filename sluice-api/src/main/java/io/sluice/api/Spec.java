package io.sluice.api;

import java.util.List;

/**
 * The {@code spec} of a configuration object: what the object is, as the operator wrote it. Each
 * {@link Kind} names the record its spec binds to.
 */
public interface Spec {
  /**
   * The objects this spec refers to by name. The store uses it to refuse deleting an object that
   * is still referred to (naming the referrers); a spec with references must override it.
   */
  default List<ObjectRef> references() {
    return List.of();
  }
}
