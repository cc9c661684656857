package io.sluice.wasm.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Stops plugin calls that use more than their CPU budget. Chicory (its interpreter and the
 * bytecode its compiler emits) checks the calling thread's interrupt flag at function entries and
 * backward branches and then throws {@code ChicoryInterruptedException}; one daemon thread
 * ({@code sluice-wasm-watchdog}) looks at the calls in progress every millisecond and interrupts
 * the thread of one that is past its budget.
 *
 * <p><b>The budget is the calling thread's CPU time, not wall time</b>: an event loop that the OS
 * does not run (a busy machine, a GC pause) uses none of its budget, so a well-behaved plugin is
 * not stopped because the machine is loaded, while a plugin that loops burns CPU and is stopped.
 * The thread's CPU clock is read by the watchdog, never by the event loop (a read costs about a
 * microsecond): the first time the watchdog sees a call running it notes the thread's CPU time,
 * and stops the call once the thread has used more than the budget since. A call is thus stopped
 * after at least its budget and at most its budget plus one period (1 ms) of CPU time. Where the
 * JVM cannot read a thread's CPU clock (virtual threads: a VM started in the background, under a
 * 10 s budget), the budget is wall time from the same first sighting.
 *
 * <p>An event loop must never be left with its interrupt flag set (Netty's selector would spin),
 * so a {@link Call} moves between states with compare-and-set: the watchdog interrupts only a call
 * it moved from running to interrupting, and a call that ends and finds itself being interrupted
 * waits for the interrupt to land, then clears it. The event loop pays a release store and an
 * uncontended CAS per call: no lock, no clock read.
 */
final class CpuWatchdog {
  static final CpuWatchdog INSTANCE = new CpuWatchdog();
  /** How often running calls are looked at; also the most a call may overrun its budget by. */
  static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Set<Call> calls = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Call> perThread = ThreadLocal.withInitial(Call::new);
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final boolean cpuClock;

  private CpuWatchdog() {
    boolean supported = threads.isThreadCpuTimeSupported();
    if (supported && !threads.isThreadCpuTimeEnabled()) threads.setThreadCpuTimeEnabled(true);
    cpuClock = supported && threads.isThreadCpuTimeEnabled();
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

  /** The budget of the calls on one thread, confined to it except for the watchdog's reads and CAS. */
  final class Call {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final Thread thread = Thread.currentThread();
    private boolean registered;
    /** Written by the thread before its release store of RUNNING, read by the watchdog after it saw RUNNING. */
    private long budgetNanos;
    /** Counts this thread's calls (wrapping): tells the watchdog whether the call it sees is the one it measured. */
    private int number;
    // The watchdog's own: which call it last saw running, and the clock (CPU or wall) then.
    private int seenNumber = -1;
    private long seenAt;
    private boolean seenOnCpuClock;

    /** Starts a call on this thread that may use {@code budgetNanos} of CPU time. */
    void begin(long budgetNanos) {
      this.budgetNanos = budgetNanos;
      number++;
      // A release store: the watchdog, reading the state with acquire, sees this call's budget and number.
      state.setRelease(RUNNING);
      if (!registered) {
        calls.add(this);
        registered = true;
      }
    }

    /** Ends the call; leaves the thread's interrupt flag as it was before {@link #begin}. */
    void end() {
      // Usually the first CAS succeeds. While the watchdog holds INTERRUPTING it either interrupts
      // (then INTERRUPTED: the flag is cleared here) or lets the call go on (RUNNING again).
      while (!state.compareAndSet(RUNNING, IDLE)) {
        if (state.get() == INTERRUPTED) {
          Thread.interrupted();
          state.set(IDLE);
          break;
        }
        Thread.onSpinWait();
      }
      if (thread.isVirtual()) {
        calls.remove(this);
        registered = false;
      }
    }

    /** On the watchdog thread: notes a call seen for the first time, or stops one past its budget. */
    void check() {
      if (state.getAcquire() != RUNNING) return;
      int n = number;
      long budget = budgetNanos;
      if (n != seenNumber) {
        seenNumber = n;
        seenOnCpuClock = cpuClock && !thread.isVirtual();
        seenAt = seenOnCpuClock ? threads.getThreadCpuTime(thread.threadId()) : System.nanoTime();
        if (seenAt < 0) { // the thread ended, or its clock cannot be read
          seenOnCpuClock = false;
          seenAt = System.nanoTime();
        }
        return;
      }
      long now = seenOnCpuClock ? threads.getThreadCpuTime(thread.threadId()) : System.nanoTime();
      if (now >= 0 && now - seenAt > budget && state.compareAndSet(RUNNING, INTERRUPTING)) {
        // The thread cannot begin another call now (its end() waits for INTERRUPTED): if the
        // running call is still the one measured, it is stopped; one that began since goes on.
        if (number == n) {
          thread.interrupt();
          state.set(INTERRUPTED);
        } else {
          state.set(RUNNING);
        }
      }
    }
  }

  private void run() {
    while (true) {
      LockSupport.parkNanos(PERIOD_NANOS);
      for (Call c : calls) c.check();
    }
  }
}
