package io.sluice.wasm.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Stops plugin calls that run past their CPU budget. Chicory's interpreter checks the calling
 * thread's interrupt flag at every call and backward branch and then throws
 * {@code ChicoryInterruptedException}; one daemon thread ({@code sluice-wasm-watchdog}) looks at the
 * calls in progress every millisecond and interrupts the thread of one that is past its deadline.
 *
 * <p>An event loop must never be left with its interrupt flag set (Netty's selector would spin),
 * so a {@link Call} moves between states with compare-and-set: the watchdog interrupts only a call
 * it moved from running to interrupting, and a call that ends and finds itself being interrupted
 * waits for the interrupt to land, then clears it. The event loop pays two uncontended CAS per call
 * and no lock.
 */
final class CpuWatchdog {
  static final CpuWatchdog INSTANCE = new CpuWatchdog();
  private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Set<Call> calls = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Call> perThread = ThreadLocal.withInitial(Call::new);

  private CpuWatchdog() {
    Thread t = new Thread(this::run, "sluice-wasm-watchdog");
    t.setDaemon(true);
    t.start();
  }

  /**
   * The calling thread's budget. An event loop's stays registered (there are few loops); a
   * virtual thread's (a VM started in the background) only while its call runs.
   */
  Call current() {
    return perThread.get();
  }

  /** The budget of the calls on one thread, confined to it except for the watchdog's CAS. */
  final class Call {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile long deadline;
    private final Thread thread = Thread.currentThread();
    private boolean registered;

    /** Starts a call on this thread that may run for {@code budgetNanos}. */
    void begin(long budgetNanos) {
      deadline = System.nanoTime() + budgetNanos;
      state.set(RUNNING);
      if (!registered) {
        calls.add(this);
        registered = true;
      }
    }

    /** Ends the call; leaves the thread's interrupt flag as it was before {@link #begin}. */
    void end() {
      if (!state.compareAndSet(RUNNING, IDLE)) {
        while (state.get() != INTERRUPTED) Thread.onSpinWait();
        Thread.interrupted();
        state.set(IDLE);
      }
      if (thread.isVirtual()) {
        calls.remove(this);
        registered = false;
      }
    }

    void expireIfLate(long now) {
      if (state.get() == RUNNING && now - deadline > 0 && state.compareAndSet(RUNNING, INTERRUPTING)) {
        thread.interrupt();
        state.set(INTERRUPTED);
      }
    }
  }

  private void run() {
    while (true) {
      LockSupport.parkNanos(PERIOD_NANOS);
      if (calls.isEmpty()) continue;
      long now = System.nanoTime();
      for (Call c : calls) c.expireIfLate(now);
    }
  }
}
