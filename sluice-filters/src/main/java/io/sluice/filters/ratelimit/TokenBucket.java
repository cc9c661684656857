package io.sluice.filters.ratelimit;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket kept as one number, the generic cell rate algorithm's theoretical arrival time
 * (TAT): a request is allowed when {@code TAT + interval - burst * interval <= now}, and then moves
 * TAT by one interval. Taking a token is one compare-and-set, so every event loop can share the same
 * bucket without locks; the rate is exact across loops, which per-loop buckets would not be.
 *
 * <p>The interval and burst are passed per call, not stored: a consumer's own rate and the
 * filter's share the code, and the bucket stays one {@code long}.
 */
final class TokenBucket {
  /** Nanoseconds on the {@link System#nanoTime()} scale; starts far in the past: a new bucket is full. */
  private final AtomicLong tat = new AtomicLong(Long.MIN_VALUE / 4);

  /** The theoretical arrival time now: the bucket is full again at this {@link System#nanoTime()}. */
  long tat() {
    return tat.get();
  }

  /** Tokens left at {@code now}. */
  static int remaining(long tat, long now, long interval, int burst) {
    long allowAt = tat - interval * burst;
    return (int) Math.max(0, Math.min(burst, (now - allowAt) / interval));
  }

  /** What {@link #take} decided. Remaining and the waits are for the RateLimit headers. */
  record Outcome(boolean allowed, int remaining, long retryAfterNanos, long resetNanos) {}

  /**
   * Takes one token if there is one.
   *
   * @param interval nanoseconds per token ({@code per / requests})
   * @param burst the bucket size
   */
  long take(long now, long interval, int burst) {
    long tolerance = interval * burst;
    while (true) {
      long current = tat.get();
      long base = Math.max(current, now);
      long next = base + interval;
      long allowAt = next - tolerance;
      if (now < allowAt) return -(allowAt - now) - 1; // refused: the wait, encoded negative
      if (tat.compareAndSet(current, next)) return next;
    }
  }

  /** The outcome of {@link #take}'s result {@code r} for the headers. */
  static Outcome outcome(long r, long now, long interval, int burst) {
    if (r < 0) {
      long wait = -(r + 1);
      long reset = interval * burst - interval + wait;
      return new Outcome(false, 0, wait, Math.max(reset, wait));
    }
    long allowAt = r - interval * burst;
    int remaining = (int) Math.min(burst, (now - allowAt) / interval);
    return new Outcome(true, remaining, 0, r - now);
  }
}
