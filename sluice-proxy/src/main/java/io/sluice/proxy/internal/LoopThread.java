package io.sluice.proxy.internal;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The thread of one event loop. It carries the loop's index and its {@link LoopContext}, so that
 * per-loop state (connection pools, load balancers) is an array index away, with no thread-local
 * map and nothing to clean up when configuration objects come and go.
 */
public final class LoopThread extends FastThreadLocalThread {
  private final int index;
  private final LoopContext context = new LoopContext();

  private LoopThread(Runnable task, String name, int index) {
    super(task, name);
    this.index = index;
  }

  public int index() {
    return index;
  }

  public LoopContext context() {
    return context;
  }

  /** The current event loop's thread; must be called on an event loop of the gateway. */
  public static LoopThread current() {
    if (Thread.currentThread() instanceof LoopThread t) {
      return t;
    }
    throw new IllegalStateException("not on a Sluice event loop: " + Thread.currentThread().getName());
  }

  static ThreadFactory factory(String prefix) {
    AtomicInteger next = new AtomicInteger();
    return task -> {
      int i = next.getAndIncrement();
      LoopThread t = new LoopThread(task, prefix + "-" + i, i);
      t.setDaemon(false);
      // Netty starts a loop's thread from whichever thread first gives it work, often the control
      // plane's (a listener bound on apply), and a thread inherits its creator's priority; the
      // data plane must keep the normal one (docs/architecture.md, "Threads and priorities").
      t.setPriority(Thread.NORM_PRIORITY);
      return t;
    };
  }
}
