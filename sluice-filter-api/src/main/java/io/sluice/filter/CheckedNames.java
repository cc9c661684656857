package io.sluice.filter;

import org.jspecify.annotations.Nullable;

/**
 * The header names {@link HeaderRules#checkName} has accepted for both directions, with their lower
 * case: a direct-mapped table of 64 slots indexed by the name's (cached) hash, so that the names
 * filters write on every request are checked without lower-casing them again.
 *
 * <p>Thread-safe without locks: a slot holds an immutable {@link Entry} (final fields, safely
 * published), replaced whole by whichever thread writes last; a reader sees either entry, and any
 * entry it sees is right for its name. Two names sharing a slot take turns in it and cost a
 * lower-casing each time, which is what every name cost before. Names refused for one direction
 * (Host, Expect) or for both are never stored: they keep their full check and their error message.
 */
final class CheckedNames {
  private static final int SLOTS = 64;
  private static final @Nullable Entry[] TABLE = new Entry[SLOTS];

  private record Entry(String name, String lower) {}

  private CheckedNames() {}

  /** The lower case of {@code name} when it was accepted before; null when it must be checked. */
  static @Nullable String lower(String name) {
    Entry e = TABLE[name.hashCode() & (SLOTS - 1)];
    if (e == null) return null;
    String known = e.name;
    // Identity first: filters pass the same String instance (a constant or a config value) each time.
    return known == name || known.equals(name) ? e.lower : null;
  }

  /** Remembers a name accepted for requests and responses alike. */
  static void remember(String name, String lower) {
    TABLE[name.hashCode() & (SLOTS - 1)] = new Entry(name, lower);
  }
}
