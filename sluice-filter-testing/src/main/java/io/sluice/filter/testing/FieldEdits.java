package io.sluice.filter.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The filters' edits to one message's fields, kept as the gateway keeps them: names whose received
 * fields are hidden, and fields added after the received ones. Removing a name also drops the fields
 * of that name added before.
 */
final class FieldEdits {
  private final List<String> removed = new ArrayList<>();
  private final List<HeaderField> added = new ArrayList<>();

  void clear() {
    removed.clear();
    added.clear();
  }

  void remove(String lower) {
    if (!removed.contains(lower)) removed.add(lower);
    added.removeIf(f -> f.name().toLowerCase(Locale.ROOT).equals(lower));
  }

  void add(String name, String value) {
    added.add(new HeaderField(name, value));
  }

  boolean isRemoved(String lower) {
    return removed.contains(lower);
  }

  @Nullable String firstAdded(String lower) {
    return Fields.first(added, lower);
  }

  List<HeaderField> added() {
    return added;
  }
}
