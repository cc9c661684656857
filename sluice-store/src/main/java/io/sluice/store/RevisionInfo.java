package io.sluice.store;

import io.sluice.api.ObjectRef;
import java.time.Instant;
import java.util.List;

/** One revision of the store: who made it, when, why, and which objects it touched. */
public record RevisionInfo(long revision, Instant time, String author, String message, List<ObjectRef> objects) {
  public RevisionInfo {
    objects = List.copyOf(objects);
  }
}
