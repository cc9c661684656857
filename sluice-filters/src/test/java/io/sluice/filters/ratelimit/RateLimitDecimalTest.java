package io.sluice.filters.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The RateLimit-Remaining and -Reset values every response carries come from a table when small. */
class RateLimitDecimalTest {
  @Test
  void smallCountsReuseOneStringAndLargeOnesAreWrittenOut() {
    for (int n = 0; n < 256; n++) {
      assertThat(RateLimitFilterFactory.decimal(n)).isEqualTo(Integer.toString(n)).isSameAs(RateLimitFilterFactory.decimal(n));
    }
    assertThat(RateLimitFilterFactory.decimal(256)).isEqualTo("256");
    assertThat(RateLimitFilterFactory.decimal(100_000_000L)).isEqualTo("100000000");
    assertThat(RateLimitFilterFactory.decimal(-1)).isEqualTo("-1");
  }
}
