package io.sluice.proxy.metrics.internal;

import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * How many more series (or label sets) one metric family may have, and, through its parent, the
 * gateway as a whole. Taken on first sight of a label set (a new route at apply time, a new status
 * code on the hot path), given back when it goes away. Lock-free: a compare-and-set, and only the
 * first time a label set appears.
 */
final class SeriesBudget {
  private final int max;
  private final @Nullable SeriesBudget parent;
  private final AtomicInteger used = new AtomicInteger();

  SeriesBudget(int max) {
    this(max, null);
  }

  /** A budget whose every unit is also taken from {@code parent}. */
  SeriesBudget(int max, @Nullable SeriesBudget parent) {
    this.max = max;
    this.parent = parent;
  }

  boolean tryAcquire() {
    return tryAcquire(1);
  }

  /** Takes {@code n} units, here and from the parent, or none. */
  boolean tryAcquire(int n) {
    while (true) {
      int u = used.get();
      if (u > max - n) return false;
      if (used.compareAndSet(u, u + n)) break;
    }
    if (parent != null && !parent.tryAcquire(n)) {
      used.addAndGet(-n);
      return false;
    }
    return true;
  }

  void release(int n) {
    used.addAndGet(-n);
    if (parent != null) parent.release(n);
  }

  int used() {
    return used.get();
  }
}
