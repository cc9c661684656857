package io.sluice.proxy.upstream.retry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy's retry budget for one upstream: retries in progress may be at most a percentage of the
 * requests in progress (of those that have a retry policy), or a minimum number, whichever is more.
 * It keeps a failing upstream from being hit by a retry storm on top of its normal load.
 *
 * <p>Threading: shared by all event loops; counters are atomic.
 */
public final class RetryBudget {
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();

  /** A request that may be retried has started; match with {@link #requestEnded()}. */
  public void requestStarted() {
    requests.incrementAndGet();
  }

  public void requestEnded() {
    requests.decrementAndGet();
  }

  /**
   * Claims a retry if the budget allows one; a true is matched by one {@link #retryEnded()}.
   *
   * @param percent of the requests in progress that may be retries at once
   * @param minConcurrency retries always allowed at once
   */
  public boolean tryStartRetry(int percent, int minConcurrency) {
    while (true) {
      int r = retries.get();
      long allowed = Math.max(minConcurrency, (long) requests.get() * percent / 100);
      if (r >= allowed) return false;
      if (retries.compareAndSet(r, r + 1)) return true;
    }
  }

  public void retryEnded() {
    retries.decrementAndGet();
  }

  /** Retries in progress now. */
  public int retriesInProgress() {
    return retries.get();
  }
}
