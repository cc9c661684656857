package io.sluice.proxy.route.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An immutable map from strings to values, split by hash into shards of about
 * {@value #TARGET_SHARD_SIZE} entries (plain HashMaps), so that a copy with a few entries changed
 * ({@link #withChanges}) copies the array of shards and only the shards those entries are in:
 * about a microsecond per change at 10,000 entries, where copying a {@code HashMap} takes ~100 µs
 * and a {@link StringMap} ~20 µs. Lookups pay one more indirection than a {@code HashMap}'s, so
 * this is for what a table update reads (its routes by name), not for the request path.
 *
 * <p>Immutable, so safe to share between threads once published: shards are copied before they
 * are changed, and only while the copy is not yet published.
 *
 * @param <V> the value type
 */
public final class ShardedMap<V> {
  private static final int TARGET_SHARD_SIZE = 16;
  private static final int MAX_SHARDS = 1 << 12;
  private static final ShardedMap<?> EMPTY = new ShardedMap<>(newShards(1), 0);

  private final HashMap<String, V>[] shards;
  private final int size;

  private ShardedMap(HashMap<String, V>[] shards, int size) {
    this.shards = shards;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  public static <V> ShardedMap<V> empty() {
    return (ShardedMap<V>) EMPTY;
  }

  /** A map of {@code values} by {@code keyOf}; the keys must be distinct. */
  public static <V> ShardedMap<V> of(Collection<? extends V> values, Function<? super V, String> keyOf) {
    if (values.isEmpty()) {
      return empty();
    }
    HashMap<String, V>[] shards = newShards(shardCount(values.size()));
    for (V value : values) {
      String key = keyOf.apply(value);
      shards[shard(key, shards.length)].put(key, value);
    }
    return new ShardedMap<>(shards, values.size());
  }

  /** The value of {@code key}, or null. */
  public @Nullable V get(String key) {
    return shards[shard(key, shards.length)].get(key);
  }

  public int size() {
    return size;
  }

  /**
   * A copy of this map with each entry of {@code changes} applied: a null value removes the key
   * (removing an absent key does nothing). Copies the shards the keys are in, or reshards
   * everything (O(size), rarely: only when the size has changed 4-fold since the last time).
   * This map is not changed.
   */
  public ShardedMap<V> withChanges(Map<String, ? extends @Nullable V> changes) {
    if (changes.isEmpty()) {
      return this;
    }
    HashMap<String, V>[] copy = shards.clone();
    int newSize = size;
    for (Map.Entry<String, ? extends @Nullable V> change : changes.entrySet()) {
      int s = shard(change.getKey(), copy.length);
      if (copy[s] == shards[s]) {
        copy[s] = new HashMap<>(shards[s]);
      }
      if (change.getValue() == null) {
        newSize -= copy[s].remove(change.getKey()) != null ? 1 : 0;
      } else {
        newSize += copy[s].put(change.getKey(), change.getValue()) == null ? 1 : 0;
      }
    }
    int wanted = shardCount(newSize);
    if (wanted >= copy.length * 4 || wanted * 4 <= copy.length) {
      HashMap<String, V>[] resharded = newShards(wanted);
      for (HashMap<String, V> shard : copy) {
        shard.forEach((key, value) -> resharded[shard(key, wanted)].put(key, value));
      }
      return new ShardedMap<>(resharded, newSize);
    }
    return new ShardedMap<>(copy, newSize);
  }

  private static int shardCount(int size) {
    return Math.min(MAX_SHARDS, Integer.highestOneBit(Math.max(1, size / TARGET_SHARD_SIZE)));
  }

  /**
   * The top bits of the hash times a large odd constant: not the low bits, which the shard's
   * HashMap uses to pick a bucket (keys of one shard would collide there).
   */
  private static int shard(String key, int shards) {
    return (key.hashCode() * 0x9E3779B9 >>> 20) & (shards - 1);
  }

  @SuppressWarnings("unchecked")
  private static <V> HashMap<String, V>[] newShards(int count) {
    HashMap<String, V>[] shards = new HashMap[count];
    for (int i = 0; i < count; i++) {
      shards[i] = new HashMap<>();
    }
    return shards;
  }
}
