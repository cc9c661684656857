package io.sluice.proxy.metrics.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many more label sets one metric family may have. Taken on first sight of a label set (a new
 * route at apply time, a new status code on the hot path), given back when it goes away. Lock-free:
 * a compare-and-set, and only the first time a label set appears.
 */
final class SeriesBudget {
  private final int max;
  private final AtomicInteger used = new AtomicInteger();

  SeriesBudget(int max) {
    this.max = max;
  }

  boolean tryAcquire() {
    while (true) {
      int n = used.get();
      if (n >= max) return false;
      if (used.compareAndSet(n, n + 1)) return true;
    }
  }

  void release(int n) {
    used.addAndGet(-n);
  }

  int used() {
    return used.get();
  }
}
