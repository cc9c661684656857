package io.sluice.store;

import io.sluice.api.ConfigObject;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One version of an object.
 *
 * @param object the object as of this revision (with {@code metadata.revision}), null for a deletion
 */
public record HistoryEntry(long revision, Instant time, String author, String message, @Nullable ConfigObject<?> object) {
  public boolean deleted() {
    return object == null;
  }
}
