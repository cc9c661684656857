package io.sluice.store;

import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** One revision as seen by a {@link Watch}: every object it put or deleted. */
public record WatchEvent(long revision, Instant time, String author, List<Item> items) {
  public WatchEvent {
    items = List.copyOf(items);
  }

  /** One object's change: {@code object} is the new version, or null when the object was deleted. */
  public record Item(ObjectRef ref, @Nullable ConfigObject<?> object) {}
}
