package io.sluice.proxy.metrics.internal;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The status codes and reason codes one meter has seen, each given a slot in the meter's counter
 * arrays the first time it appears. Shared by the meter's event loops: a slot is claimed with a
 * compare-and-set, and found again by a short scan (a route sees a handful of codes, 200 first).
 */
final class CodeSlots {
  static final int STATUS_SLOTS = 16;
  static final int REASON_SLOTS = 16;

  private final AtomicIntegerArray statuses = new AtomicIntegerArray(STATUS_SLOTS);
  private final AtomicReferenceArray<String> reasons = new AtomicReferenceArray<>(REASON_SLOTS);

  /** The slot of {@code status}, or -1 when no slot or no series budget is left for it. */
  int statusSlot(int status, SeriesBudget budget) {
    for (int i = 0; i < STATUS_SLOTS; i++) {
      int s = statuses.get(i);
      if (s == status) return i;
      if (s == 0) {
        if (!budget.tryAcquire()) return -1;
        if (statuses.compareAndSet(i, 0, status)) return i;
        budget.release(1);
        if (statuses.get(i) == status) return i;
      }
    }
    return -1;
  }

  /** The slot of {@code reason}, or -1 when no slot or no series budget is left for it. */
  int reasonSlot(String reason, SeriesBudget budget) {
    for (int i = 0; i < REASON_SLOTS; i++) {
      String r = reasons.get(i);
      // Reasons are string constants: identity is the common case, equals the safe one.
      if (r == reason || (r != null && r.equals(reason))) return i;
      if (r == null) {
        if (!budget.tryAcquire()) return -1;
        if (reasons.compareAndSet(i, null, reason)) return i;
        budget.release(1);
        String now = reasons.get(i);
        if (now != null && now.equals(reason)) return i;
      }
    }
    return -1;
  }

  int status(int slot) {
    return statuses.get(slot);
  }

  String reason(int slot) {
    return reasons.get(slot);
  }

  int statusesUsed() {
    int n = 0;
    for (int i = 0; i < STATUS_SLOTS; i++) if (statuses.get(i) != 0) n++;
    return n;
  }

  int reasonsUsed() {
    int n = 0;
    for (int i = 0; i < REASON_SLOTS; i++) if (reasons.get(i) != null) n++;
    return n;
  }
}
