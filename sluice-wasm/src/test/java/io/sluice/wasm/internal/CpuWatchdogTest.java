package io.sluice.wasm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The budget is CPU time: a call that waits (as an event loop the OS does not run on a busy machine
 * waits) is not stopped however long it takes. (A call that computes past its budget is stopped:
 * WasmFailureTest's looping plugin, through the proxy.) Runs on a platform thread, as an event loop.
 */
class CpuWatchdogTest {
  private static final long BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private static <T> T onPlatformThread(java.util.concurrent.Callable<T> body) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread t = Thread.ofPlatform().name("watchdog-test").start(() -> {
      try {
        result.complete(body.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    T r = result.get(30, TimeUnit.SECONDS);
    t.join();
    return r;
  }

  @Test
  void aCallThatWaitsPastItsBudgetWithoutUsingCpuIsNotStopped() throws Exception {
    String outcome = onPlatformThread(() -> {
      CpuWatchdog.Call call = CpuWatchdog.INSTANCE.current();
      call.begin(BUDGET_NANOS);
      try {
        // Ten budgets of wall time, almost no CPU: what a loaded machine does to an event loop.
        Thread.sleep(Duration.ofMillis(200));
        return Thread.currentThread().isInterrupted() ? "interrupted" : "ran to the end";
      } catch (InterruptedException e) {
        return "interrupted while waiting";
      } finally {
        call.end();
      }
    });
    assertThat(outcome).isEqualTo("ran to the end");
  }
}
