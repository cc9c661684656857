package io.sluice.filters.cache;

import io.sluice.api.ByteSize;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cache} filter's config.
 *
 * @param maxSize the bytes of bodies and headers kept, shared by every event loop; default 64MiB
 * @param maxEntrySize a bigger response is not cached (its body streams); default 1MiB
 * @param defaultTtl how long a cacheable response without explicit freshness (max-age, s-maxage,
 *     Expires) stays fresh; unset: such responses are not cached
 * @param statuses the statuses that are cached; default 200, 203, 300, 301, 404, 410
 */
public record CacheConfig(@Nullable ByteSize maxSize, @Nullable ByteSize maxEntrySize, @Nullable Duration defaultTtl,
    List<Integer> statuses) {
  public static final List<Integer> DEFAULT_STATUSES = List.of(200, 203, 300, 301, 404, 410);

  public CacheConfig {
    statuses = statuses == null ? DEFAULT_STATUSES : List.copyOf(statuses);
  }

  long maxBytes() {
    return maxSize == null ? 64L << 20 : maxSize.bytes();
  }

  long maxEntryBytes() {
    return maxEntrySize == null ? 1L << 20 : maxEntrySize.bytes();
  }
}
