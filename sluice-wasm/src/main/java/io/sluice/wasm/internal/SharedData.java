package io.sluice.wasm.internal;

import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A plugin's shared data ({@code proxy_get_shared_data}, {@code proxy_set_shared_data}): keys to
 * values with a compare-and-set version, shared by the plugin's VMs on every event loop and kept
 * across configuration changes of the same filter (through {@code FilterEnvironment.shared}).
 * Thread-safe: a set is one atomic {@code compute} on its key.
 */
public final class SharedData {
  /** A value and its version; the version starts at 1 and grows with every set. */
  record Entry(byte[] value, int cas) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  @Nullable Entry get(String key) {
    return entries.get(key);
  }

  /**
   * Sets {@code key} to {@code value} if {@code cas} is 0 or the version the caller read.
   *
   * @return false on a version mismatch (nothing changed)
   */
  boolean set(String key, byte[] value, int cas) {
    boolean[] set = {false};
    entries.compute(key, (k, old) -> {
      if (cas != 0 && (old == null ? 0 : old.cas()) != cas) return old;
      set[0] = true;
      int next = old == null ? 1 : old.cas() + 1;
      return new Entry(value, next == 0 ? 1 : next);
    });
    return set[0];
  }
}
