package io.sluice.proxy.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * WARN lines that cannot flood the log: at most one per {@code interval} for each key (a kind of
 * failure), the next one saying how many were left out since. Meant for failures that may repeat
 * on every request (a broken filter, a bug hit by each exchange): the first is seen with its stack
 * trace, the rest are a count.
 *
 * <p>Keys are bounded: beyond {@code maxKeys} distinct ones, all further keys share one window, so
 * a failure that carries a new key each time (it should not) still cannot grow memory or the log.
 *
 * <p>Thread-safe, lock-free: any thread may call {@link #warn}.
 */
final class RateLimitedLog {
  private static final String OTHER = "(other)";

  private final Logger log;
  private final long intervalNanos;
  private final int maxKeys;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  /**
   * @param interval the least time between two lines of one key; positive
   * @param maxKeys distinct keys with their own window; at least 1
   */
  RateLimitedLog(Logger log, Duration interval, int maxKeys) {
    this.log = Objects.requireNonNull(log, "log");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, got " + interval);
    }
    if (maxKeys < 1) throw new IllegalArgumentException("maxKeys must be at least 1, got " + maxKeys);
    this.intervalNanos = interval.toNanos();
    this.maxKeys = maxKeys;
  }

  /**
   * Logs {@code message} with {@code cause} at WARN unless a line of {@code key} was logged within
   * the interval; then only counts it. Returns whether a line was logged.
   */
  boolean warn(String key, String message, Throwable cause) {
    Window w = windows.get(key);
    if (w == null) w = windows.computeIfAbsent(windows.size() >= maxKeys ? OTHER : key, k -> new Window(System.nanoTime()));
    long now = System.nanoTime();
    long next = w.next.get();
    if (now - next >= 0 && w.next.compareAndSet(next, now + intervalNanos)) {
      long suppressed = w.suppressed.getAndSet(0);
      if (suppressed == 0) {
        log.warn(message, cause);
      } else {
        log.warn("{} ({} more like it in the last {} s were not logged)", message, suppressed,
            Duration.ofNanos(intervalNanos).toSeconds(), cause);
      }
      return true;
    }
    w.suppressed.incrementAndGet();
    return false;
  }

  private static final class Window {
    /** When the next line may be logged (System.nanoTime()). */
    final AtomicLong next;
    final AtomicLong suppressed = new AtomicLong();

    Window(long now) {
      this.next = new AtomicLong(now);
    }
  }
}
