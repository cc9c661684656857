package io.sluice.proxy.route.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An immutable hash map from strings to values, for a lookup on every request's path (the table's
 * exact hosts): open addressing with linear probing in one array of keys and values, at most a
 * quarter full (so that a lookup of an absent key, as most requests' hosts are, usually stops at
 * the first slot), with the keys' hashes in a parallel array.
 *
 * <p>A lookup compares hashes in the hash array and reads a key only when its hash matches, so it
 * reads fewer objects one after the other than {@code HashMap.get} (which reads a node, then the
 * key): the array, then the key. It uses the key's cached {@link String#hashCode} and allocates
 * nothing.
 *
 * <p>{@link #withChanges} returns a changed copy: one copy of each array, 8 to 16 references and 4
 * to 8 ints per entry (a 1,000-entry map: ~4 µs, 10,000: ~40 µs), which is what a route table update pays for a
 * change to an exact host's group, instead of rebuilding the map (a {@code HashMap} of
 * 10,000 entries: ~100 µs). A structure that copies only part of the arrays needs another level
 * of indirection, which every request would pay for (measured: 2 ns per lookup). Lookups are
 * still a little slower than {@code HashMap}'s (~1 ns, more for absent keys: linear probing
 * clusters), which is why a host group's exact paths, a map copied only with that group, are a
 * plain {@code HashMap}.
 *
 * <p>Immutable, so safe to share between threads once published: a copy is written only before
 * it is published.
 *
 * @param <V> the value type
 */
public final class StringMap<V> {
  private static final StringMap<?> EMPTY = new StringMap<>(4, 0);

  /** Slot i: key at {@code 2 * i}, value at {@code 2 * i + 1}; a power of two slots. */
  private final Object[] table;
  /** {@code hashes[i]}: the hash of slot i's key (meaningless for an empty slot). */
  private final int[] hashes;
  private final int size;

  /** A map of {@code slots} empty slots (a power of two), to be filled before it is published. */
  private StringMap(int slots, int size) {
    this(new Object[2 * slots], new int[slots], size);
  }

  private StringMap(Object[] table, int[] hashes, int size) {
    this.table = table;
    this.hashes = hashes;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  public static <V> StringMap<V> empty() {
    return (StringMap<V>) EMPTY;
  }

  /** A map with the entries of {@code entries}, copied. */
  public static <V> StringMap<V> of(Map<String, ? extends V> entries) {
    if (entries.isEmpty()) {
      return empty();
    }
    StringMap<V> map = new StringMap<>(slotsFor(entries.size()), entries.size());
    entries.forEach(map::put);
    return map;
  }

  /** A map of {@code values} by {@code keyOf}; the keys must be distinct. */
  public static <V> StringMap<V> of(Collection<? extends V> values, Function<? super V, String> keyOf) {
    if (values.isEmpty()) {
      return empty();
    }
    StringMap<V> map = new StringMap<>(slotsFor(values.size()), values.size());
    for (V value : values) {
      map.put(keyOf.apply(value), value);
    }
    return map;
  }

  /** The smallest power of two that keeps {@code size} entries at most a quarter full. */
  private static int slotsFor(int size) {
    return Integer.highestOneBit(Math.max(1, size) * 4 - 1) << 1;
  }

  /** The value of {@code key}, or null. Allocates nothing. */
  @SuppressWarnings("unchecked")
  public @Nullable V get(String key) {
    int[] h = hashes;
    Object[] t = table;
    int hash = key.hashCode();
    // Masked with (length - 1) of the array, as HashMap's index is, so the JIT drops the bounds check.
    int mask = h.length - 1;
    for (int slot = first(hash) & mask; ; slot = (slot + 1) & mask) {
      Object k = t[slot << 1];
      if (k == null) {
        return null;
      }
      if (h[slot] == hash && (k == key || k.equals(key))) {
        return (V) t[(slot << 1) + 1];
      }
    }
  }

  public int size() {
    return size;
  }

  /**
   * A copy of this map with each entry of {@code changes} applied: a null value removes the key
   * (removing an absent key does nothing). One copy of the arrays, or a new map of the right size
   * when it must grow (past a quarter full) or shrink (below a sixteenth full). This map is not
   * changed.
   */
  public StringMap<V> withChanges(Map<String, ? extends @Nullable V> changes) {
    if (changes.isEmpty()) {
      return this;
    }
    int newSize = size;
    for (Map.Entry<String, ? extends @Nullable V> change : changes.entrySet()) {
      boolean present = get(change.getKey()) != null;
      newSize += change.getValue() == null ? (present ? -1 : 0) : (present ? 0 : 1);
    }
    if (newSize == 0) {
      return empty();
    }
    int slots = hashes.length;
    if (newSize * 4 > slots || (slots > 16 && newSize * 16 < slots)) {
      Map<String, V> all = HashMap.newHashMap(newSize);
      forEach(all::put);
      changes.forEach((key, value) -> {
        if (value == null) {
          all.remove(key);
        } else {
          all.put(key, value);
        }
      });
      return of(all);
    }
    StringMap<V> copy = new StringMap<>(table.clone(), hashes.clone(), newSize);
    // Removals first: puts first could fill a small table, and probing a full table never ends.
    changes.forEach((key, value) -> {
      if (value == null) {
        copy.remove(key);
      }
    });
    changes.forEach((key, value) -> {
      if (value != null) {
        copy.put(key, value);
      }
    });
    return copy;
  }

  /** For tests: the entries, in no particular order. */
  List<Map.Entry<String, V>> entries() {
    List<Map.Entry<String, V>> all = new ArrayList<>(size);
    forEach((k, v) -> all.add(Map.entry(k, v)));
    return all;
  }

  @SuppressWarnings("unchecked")
  private void forEach(BiConsumer<String, V> action) {
    for (int at = 0; at < table.length; at += 2) {
      if (table[at] != null) {
        action.accept((String) table[at], (V) table[at + 1]);
      }
    }
  }

  /** Where a hash probes first (not yet masked): its high bits mixed into the low ones, as HashMap does. */
  private static int first(int hash) {
    return hash ^ (hash >>> 16);
  }

  // Writes, only on a map not yet published.

  private void put(String key, Object value) {
    int mask = hashes.length - 1;
    int slot = first(key.hashCode()) & mask;
    while (table[slot << 1] != null && !table[slot << 1].equals(key)) {
      slot = (slot + 1) & mask;
    }
    set(slot, key, key.hashCode(), value);
  }

  private void remove(String key) {
    int mask = hashes.length - 1;
    int hole = first(key.hashCode()) & mask;
    while (table[hole << 1] != null && !table[hole << 1].equals(key)) {
      hole = (hole + 1) & mask;
    }
    if (table[hole << 1] == null) {
      return;
    }
    // Backward-shift deletion (no tombstones to slow lookups): an entry later in the probe run
    // moves into the hole unless its home lies cyclically in (hole, slot].
    for (int slot = (hole + 1) & mask; table[slot << 1] != null; slot = (slot + 1) & mask) {
      int home = first(hashes[slot]) & mask;
      boolean homeAfterHole = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot;
      if (!homeAfterHole) {
        set(hole, table[slot << 1], hashes[slot], table[(slot << 1) + 1]);
        hole = slot;
      }
    }
    set(hole, null, 0, null);
  }

  private void set(int slot, @Nullable Object key, int hash, @Nullable Object value) {
    table[slot << 1] = key;
    table[(slot << 1) + 1] = value;
    hashes[slot] = hash;
  }
}
