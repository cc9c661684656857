package io.sluice.proxy.route.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An immutable map from strings to values that is looked up with a region of a larger string, so
 * that matching a path segment or a host suffix does not allocate a substring.
 *
 * <p>Open addressing with linear probing, at most half full. {@link #with} and {@link #without}
 * return changed copies (for route table updates): they copy the arrays, which is cheap next to
 * rebuilding the map from its entries, and leave this map as it was.
 *
 * <p>Immutable, so safe to share between threads once published.
 *
 * @param <V> the value type
 */
public final class RegionMap<V> {
  private static final RegionMap<?> EMPTY = new RegionMap<>(new String[2], new int[2], new Object[2], 0);

  private final String[] keys;
  private final int[] hashes;
  private final Object[] values;
  private final int mask;
  private final int size;

  private RegionMap(String[] keys, int[] hashes, Object[] values, int size) {
    this.keys = keys;
    this.hashes = hashes;
    this.values = values;
    this.mask = keys.length - 1;
    this.size = size;
  }

  /** A map with the entries of {@code entries}, copied. */
  public static <V> RegionMap<V> of(Map<String, V> entries) {
    if (entries.isEmpty()) {
      return empty();
    }
    int capacity = capacityFor(entries.size());
    RegionMap<V> map = new RegionMap<>(new String[capacity], new int[capacity], new Object[capacity], entries.size());
    for (Map.Entry<String, V> e : entries.entrySet()) {
      map.insert(e.getKey(), hash(e.getKey(), 0, e.getKey().length()), e.getValue());
    }
    return map;
  }

  @SuppressWarnings("unchecked")
  public static <V> RegionMap<V> empty() {
    return (RegionMap<V>) EMPTY;
  }

  /** The smallest power of two that keeps {@code size} entries at most half full. */
  private static int capacityFor(int size) {
    return Integer.highestOneBit(Math.max(1, size) * 2 - 1) << 1;
  }

  /** Whether the map has no entries; lets callers skip computing a region's hash. */
  public boolean isEmpty() {
    return this == EMPTY;
  }

  public int size() {
    return size;
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

  /** The value of {@code key}, or null. */
  public @Nullable V get(String key) {
    return get(key, 0, key.length());
  }

  /** The values, in no particular order. */
  @SuppressWarnings("unchecked")
  public List<V> values() {
    List<V> all = new ArrayList<>(size);
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        all.add((V) values[i]);
      }
    }
    return all;
  }

  /** A copy of this map where {@code key} maps to {@code value}. O(capacity); this map is not changed. */
  public RegionMap<V> with(String key, V value) {
    int hash = hash(key, 0, key.length());
    int slot = slotOf(key, hash);
    if (slot >= 0) {
      // Same keys: the key and hash arrays can be shared, only the values differ.
      Object[] newValues = values.clone();
      newValues[slot] = value;
      return new RegionMap<>(keys, hashes, newValues, size);
    }
    if (isEmpty() || (size + 1) * 2 > keys.length) {
      RegionMap<V> grown = resized(capacityFor(size + 1));
      grown.insert(key, hash, value);
      return new RegionMap<>(grown.keys, grown.hashes, grown.values, size + 1);
    }
    RegionMap<V> copy = new RegionMap<>(keys.clone(), hashes.clone(), values.clone(), size + 1);
    copy.insert(key, hash, value);
    return copy;
  }

  /** A copy of this map without {@code key} (this map if it has no such key). O(capacity). */
  public RegionMap<V> without(String key) {
    int slot = slotOf(key, hash(key, 0, key.length()));
    if (slot < 0) {
      return this;
    }
    if (size == 1) {
      return empty();
    }
    if (size * 8 < keys.length) {
      // Mostly empty after many removals: shrink rather than copy the sparse arrays.
      RegionMap<V> copy = resized(capacityFor(size));
      copy.delete(copy.slotOf(key, hashes[slot]));
      return new RegionMap<>(copy.keys, copy.hashes, copy.values, size - 1);
    }
    RegionMap<V> copy = new RegionMap<>(keys.clone(), hashes.clone(), values.clone(), size - 1);
    copy.delete(slot);
    return copy;
  }

  /** The slot holding {@code key}, or -1. */
  private int slotOf(String key, int hash) {
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      String k = keys[i];
      if (k == null) {
        return -1;
      }
      if (hashes[i] == hash && k.equals(key)) {
        return i;
      }
    }
  }

  /** A map with this map's entries in new arrays of {@code capacity} slots; its size is to be set by the caller. */
  private RegionMap<V> resized(int capacity) {
    RegionMap<V> copy = new RegionMap<>(new String[capacity], new int[capacity], new Object[capacity], size);
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        copy.insert(keys[i], hashes[i], values[i]);
      }
    }
    return copy;
  }

  /** Puts a key that is not in the map into a free slot; only on maps not yet published. */
  private void insert(String key, int hash, @Nullable Object value) {
    int i = hash & mask;
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    hashes[i] = hash;
    values[i] = value;
  }

  /**
   * Empties {@code slot} and moves later entries of its probe run back so that every entry stays
   * reachable from its home slot (backward-shift deletion: no tombstones to slow lookups); only
   * on maps not yet published.
   */
  private void delete(int slot) {
    int hole = slot;
    for (int i = (hole + 1) & mask; keys[i] != null; i = (i + 1) & mask) {
      int home = hashes[i] & mask;
      // The entry at i may move into the hole unless its home lies cyclically in (hole, i].
      boolean homeAfterHole = hole <= i ? hole < home && home <= i : hole < home || home <= i;
      if (!homeAfterHole) {
        keys[hole] = keys[i];
        hashes[hole] = hashes[i];
        values[hole] = values[i];
        hole = i;
      }
    }
    keys[hole] = null;
    hashes[hole] = 0;
    values[hole] = null;
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
