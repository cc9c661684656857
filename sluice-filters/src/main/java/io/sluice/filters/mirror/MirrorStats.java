package io.sluice.filters.mirror;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The counters of one mirror (one place the filter is configured), kept across configuration
 * changes. Lock-free; updated from the event loops (sent, dropped, skipped) and the outbound
 * client's threads (completed, failed). Problems are logged at most once a minute, with totals.
 */
final class MirrorStats {
  private static final Logger log = LoggerFactory.getLogger(MirrorStats.class);
  private static final long LOG_EVERY_NANOS = 60_000_000_000L;

  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicLong sent = new AtomicLong();
  final AtomicLong completed = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final AtomicLong dropped = new AtomicLong();
  final AtomicLong skippedWithBody = new AtomicLong();
  private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS - 1);
  private final String where;

  MirrorStats(String where) {
    this.where = where;
  }

  /** Takes an in-flight slot, or counts a drop and returns false when {@code max} are taken. */
  boolean tryStart(int max) {
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      dropped.incrementAndGet();
      maybeLog("the most mirrored requests in flight (" + max + ") was reached");
      return false;
    }
    sent.incrementAndGet();
    return true;
  }

  void ended(@org.jspecify.annotations.Nullable Throwable error) {
    inFlight.decrementAndGet();
    if (error != null) {
      failed.incrementAndGet();
      maybeLog("a mirrored request failed: " + error);
    } else {
      completed.incrementAndGet();
    }
  }

  private void maybeLog(String what) {
    long now = System.nanoTime();
    long last = lastLog.get();
    if (now - last > LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
      log.warn("mirror {}: {}; so far {} sent, {} completed, {} failed, {} dropped (logged at most once a minute)",
          where, what, sent.get(), completed.get(), failed.get(), dropped.get());
    }
  }
}
