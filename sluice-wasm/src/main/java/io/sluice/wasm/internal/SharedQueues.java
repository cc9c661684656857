package io.sluice.wasm.internal;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * proxy-wasm shared queues: process-wide, by name, shared by every plugin and VM of the process.
 * A VM that registers a queue ({@code proxy_register_shared_queue}) is woken when something is
 * enqueued ({@code proxy_on_queue_ready} on its root context), on its own event loop. Every VM of
 * a plugin registers its queues when it starts, off the loops, so a queue keeps the VMs that
 * registered it and wakes the latest one that a loop has claimed and that still works; while none
 * has, the wake-up waits for the first claim. Wake-ups are coalesced: one {@code on_queue_ready}
 * may stand for several items, and a plugin dequeues until {@code Empty}.
 *
 * <p>Threading: enqueue, dequeue and wake-ups are lock-free; registering (a VM's start, off the
 * loops) copies the queue's list of registrants.
 */
final class SharedQueues {
  static final SharedQueues INSTANCE = new SharedQueues();
  /** The most items a queue holds; an enqueue beyond is refused. */
  static final int MAX_ITEMS = 10_000;

  private final ConcurrentHashMap<String, Queue> byName = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, Queue> byToken = new ConcurrentHashMap<>();
  private final AtomicInteger nextToken = new AtomicInteger(1);

  /** One queue: its items and the VMs that registered it. */
  final class Queue {
    final int token;
    private final ConcurrentLinkedQueue<byte[]> items = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();
    /** Latest last; copied on write, so a wake-up (an enqueue on a loop) reads it without a lock. */
    private final List<WeakReference<PluginVm>> registrants = new CopyOnWriteArrayList<>();
    private volatile boolean wakePending;

    Queue(int token) {
      this.token = token;
    }

    synchronized void register(PluginVm vm) {
      registrants.removeIf(r -> {
        PluginVm v = r.get();
        return v == null || v.broken() || v == vm;
      });
      registrants.add(new WeakReference<>(vm));
    }

    /** The latest registrant bound to a loop and still working, or null. */
    private @Nullable PluginVm owner() {
      PluginVm owner = null;
      // the list's iterator walks a snapshot: safe while a VM registers
      for (WeakReference<PluginVm> r : registrants) {
        PluginVm v = r.get();
        if (v != null && !v.broken() && v.attached()) owner = v;
      }
      return owner;
    }

    /** Schedules {@code on_queue_ready} on the owner's loop, once for any number of items until it runs. */
    void wake() {
      PluginVm owner = owner();
      if (owner == null) {
        wakePending = true;
        return;
      }
      wakePending = false;
      if (!wakeScheduled.compareAndSet(false, true)) return;
      if (!owner.queueReady(this)) {
        wakeScheduled.set(false);
        wakePending = true;
      }
    }

    /** Called on the owner's loop right before {@code on_queue_ready}: items enqueued from now on wake it again. */
    void woken() {
      wakeScheduled.set(false);
    }

    boolean enqueue(byte[] item) {
      if (size.incrementAndGet() > MAX_ITEMS) {
        size.decrementAndGet();
        return false;
      }
      items.add(item);
      wake();
      return true;
    }

    byte @Nullable [] dequeue() {
      byte[] item = items.poll();
      if (item != null) size.decrementAndGet();
      return item;
    }
  }

  /** Registers {@code vm} as a reader of the queue {@code name}, creating it; returns its token. */
  int register(String name, PluginVm vm) {
    Queue q = byName.computeIfAbsent(name, n -> {
      Queue created = new Queue(nextToken.getAndIncrement());
      byToken.put(created.token, created);
      return created;
    });
    q.register(vm);
    return q.token;
  }

  /** The token of the queue {@code name}, or 0 if none is registered. */
  int resolve(String name) {
    Queue q = byName.get(name);
    return q == null ? 0 : q.token;
  }

  @Nullable Queue byToken(int token) {
    return byToken.get(token);
  }

  /** A loop claimed {@code vm}: wake-ups that waited for a registrant of its queues go to it now. */
  void claimed(List<Integer> tokens) {
    for (int t : tokens) {
      Queue q = byToken.get(t);
      if (q != null && q.wakePending) q.wake();
    }
  }
}
