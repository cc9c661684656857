package io.sluice.filters.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The buckets' cache does its upkeep on the thread that reads it: every request reads it on an
 * event loop, and a drain handed to another thread every few requests woke that thread on the
 * event loop's core (docs/benchmarks.md "Five filters, session 11").
 */
class RateLimitBucketsTest {
  @Test
  void dropsBucketsOverMaxKeysBeforeTheLookupThatAddedOneReturns() {
    Cache<String, TokenBucket> buckets = RateLimitFilterFactory.newBuckets(16, Duration.ofHours(1));
    for (int i = 0; i < 1_000; i++) {
      buckets.get("client-" + i, unused -> new TokenBucket());
      // No cleanUp(): were the upkeep on another thread, the map would hold more than 16 here.
      assertThat(buckets.estimatedSize()).as("after key %d", i).isLessThanOrEqualTo(16);
    }
  }
}
