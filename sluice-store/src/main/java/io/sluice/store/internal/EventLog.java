package io.sluice.store.internal;

import io.sluice.store.WatchEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The most recent revisions as events, so that live watches need not read them back from the
 * store (its database, etcd), and the place where watches wait for the next revision.
 *
 * <p>The events held are contiguous: from some revision up to {@link #lastRevision()}. Older ones
 * are dropped; a watch behind them reads the store. Thread-safe; waiting uses a lock and a
 * condition rather than a monitor so that a waiting virtual thread does not pin its carrier.
 */
public final class EventLog {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<WatchEvent> recent = new ArrayDeque<>();
  private final int capacity;
  private long lastRevision;

  /**
   * @param lastRevision the store's revision when the log starts (nothing before it is held)
   * @param capacity how many recent events to keep
   */
  public EventLog(long lastRevision, int capacity) {
    this.lastRevision = lastRevision;
    this.capacity = capacity;
  }

  /** Adds the event of a revision just committed, which must be the one after {@link #lastRevision()}. */
  public void append(WatchEvent event) {
    lock.lock();
    try {
      if (event.revision() != lastRevision + 1) {
        throw new IllegalStateException("revision " + event.revision() + " appended after " + lastRevision);
      }
      if (recent.size() == capacity) recent.removeFirst();
      recent.addLast(event);
      lastRevision = event.revision();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public long lastRevision() {
    lock.lock();
    try {
      return lastRevision;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The held events from revision {@code from} on, at most {@code max}: empty when {@code from} is
   * after the last revision, null when {@code from} is no longer (or never was) held.
   */
  public @Nullable List<WatchEvent> from(long from, int max) {
    lock.lock();
    try {
      if (from > lastRevision) return List.of();
      if (recent.isEmpty() || from < recent.peekFirst().revision()) return null;
      List<WatchEvent> out = new ArrayList<>(Math.min(max, recent.size()));
      for (WatchEvent e : recent) {
        if (e.revision() >= from) {
          out.add(e);
          if (out.size() == max) break;
        }
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a revision after {@code revision} is appended or {@code stop} is true. {@code stop}
   * is read under the log's lock, and whoever makes it true calls {@link #wakeAll()} afterwards, so
   * that no wake-up is lost.
   */
  public void awaitAfter(long revision, BooleanSupplier stop) throws InterruptedException {
    lock.lock();
    try {
      while (lastRevision <= revision && !stop.getAsBoolean()) changed.await();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting watch, so that it notices that it or the store was closed. */
  public void wakeAll() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
