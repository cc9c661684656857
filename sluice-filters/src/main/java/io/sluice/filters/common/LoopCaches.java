package io.sluice.filters.common;

import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Caffeine builders for caches that event loops read per request.
 *
 * <p>Caffeine records reads and writes in buffers and drains them (access order, expiry, eviction)
 * on its executor, by default {@code ForkJoinPool.commonPool()}: a cache read on every request then
 * hands a task to another thread every few requests and wakes it. On a gateway pinned to one core
 * that thread runs on the event loop's core, so each drain costs two context switches and delays
 * the requests behind it (session 11 measured a tenth of the gateway's CPU samples there with
 * rate-limit on the route; docs/benchmarks.md "Five filters, session 11"). The builders here run
 * the drain on the thread that triggered it instead: Caffeine guards it with a try-lock, so one
 * caller does the (small, amortised) work and the others go on.
 *
 * <p>Only for caches without a removal listener or loader that blocks: those would then run on the
 * event loop too.
 */
public final class LoopCaches {
  private LoopCaches() {}

  /** A new builder whose maintenance runs on the calling thread. */
  public static Caffeine<Object, Object> newBuilder() {
    return Caffeine.newBuilder().executor(Runnable::run);
  }
}
