package io.sluice.filters.concurrencylimit;

/**
 * The {@code concurrency-limit} filter's config.
 *
 * @param max the most requests of a route in flight at once (from the request phase until the
 *     response is complete); at least 1; required
 * @param status the status a refused request gets: 503 (default) or 429
 */
public record ConcurrencyLimitConfig(Integer max, Integer status) {
  public ConcurrencyLimitConfig {
    max = max == null ? 0 : max;
    status = status == null ? 503 : status;
  }
}
