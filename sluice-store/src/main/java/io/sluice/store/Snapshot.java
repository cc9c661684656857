package io.sluice.store;

import io.sluice.api.ConfigObject;
import java.util.List;

/**
 * Every object of the store at one revision.
 *
 * @param objects in dependency order, each with {@code metadata.revision} set
 */
public record Snapshot(long revision, List<ConfigObject<?>> objects) {
  public Snapshot {
    objects = List.copyOf(objects);
  }
}
