package io.sluice.proxy.route.internal;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An immutable map from strings to values that is looked up with a region of a larger string, so
 * that matching a path segment or a host suffix does not allocate a substring.
 *
 * <p>Open addressing with linear probing, at most half full. Immutable, so safe to share between
 * threads once published.
 *
 * @param <V> the value type
 */
public final class RegionMap<V> {
  private static final RegionMap<?> EMPTY = new RegionMap<>(Map.of());

  private final String[] keys;
  private final int[] hashes;
  private final Object[] values;
  private final int mask;

  private RegionMap(Map<String, V> entries) {
    int capacity = Integer.highestOneBit(Math.max(1, entries.size()) * 2 - 1) << 1;
    keys = new String[capacity];
    hashes = new int[capacity];
    values = new Object[capacity];
    mask = capacity - 1;
    for (Map.Entry<String, V> e : entries.entrySet()) {
      String key = e.getKey();
      int hash = hash(key, 0, key.length());
      int i = hash & mask;
      while (keys[i] != null) {
        i = (i + 1) & mask;
      }
      keys[i] = key;
      hashes[i] = hash;
      values[i] = e.getValue();
    }
  }

  /** A map with the entries of {@code entries}, copied. */
  @SuppressWarnings("unchecked")
  public static <V> RegionMap<V> of(Map<String, V> entries) {
    return entries.isEmpty() ? (RegionMap<V>) EMPTY : new RegionMap<>(entries);
  }

  /** Whether the map has no entries; lets callers skip computing a region's hash. */
  public boolean isEmpty() {
    return this == EMPTY;
  }

  /** The value whose key equals {@code text.substring(from, to)}, or null. Allocates nothing. */
  @SuppressWarnings("unchecked")
  public @Nullable V get(String text, int from, int to) {
    int length = to - from;
    int hash = hash(text, from, to);
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      String key = keys[i];
      if (key == null) {
        return null;
      }
      if (hashes[i] == hash && key.length() == length && text.regionMatches(from, key, 0, length)) {
        return (V) values[i];
      }
    }
  }

  private static int hash(String text, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + text.charAt(i);
    }
    // Similar keys ("svc1", "svc2", ...) have clustered polynomial hashes, and linear probing
    // degrades on clusters: mix before masking.
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    return h ^ (h >>> 13);
  }
}
